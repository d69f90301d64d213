#include "pw_alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* -1: no fault; otherwise the number of allocations still allowed. */
static _Atomic long budget = -1;

void pw_alloc_fail_after(long n) { atomic_store(&budget, n < 0 ? -1 : n); }

static int should_fail(void) {
  long b = atomic_load(&budget);
  while(b >= 0) {
    if(b == 0)
      return 1;
    if(atomic_compare_exchange_weak(&budget, &b, b - 1))
      return 0;
  }
  return 0;
}

void *pw_malloc(size_t size) {
  if(should_fail())
    return NULL;
  return malloc(size ? size : 1);
}

void *pw_calloc(size_t nmemb, size_t size) {
  if(should_fail())
    return NULL;
  return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *pw_realloc(void *ptr, size_t size) {
  if(should_fail())
    return NULL;
  return realloc(ptr, size ? size : 1);
}

void pw_free(void *ptr) { free(ptr); }

char *pw_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = pw_malloc(n);
  if(p)
    memcpy(p, s, n);
  return p;
}
