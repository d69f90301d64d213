/*
 * The one allocation wrapper.  Every module allocates through these so that
 * tests can make the Nth allocation fail (pw_alloc_fail_after()).
 */
#ifndef PW_ALLOC_H
#define PW_ALLOC_H

#include <stddef.h>

/* As malloc/calloc/realloc/free/strdup.  pw_free(NULL) is a no-op. */
void *pw_malloc(size_t size);
void *pw_calloc(size_t nmemb, size_t size);
void *pw_realloc(void *ptr, size_t size);
void pw_free(void *ptr);
char *pw_strdup(const char *s);

/*
 * Test hook: the allocation after the next n succeeds fails, and so does
 * every one after it, until pw_alloc_fail_after(-1) switches the fault off.
 * Thread-safe (an atomic counter).
 */
void pw_alloc_fail_after(long n);

#endif
