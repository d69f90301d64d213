/*
 * libFuzzer harness: the decision-log reader (`prewarm log show`,
 * ctl_dlog_print()) on arbitrary bytes.  It must print whole JSON lines
 * and stop with a clean end or an error naming the byte, never crash,
 * leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/ctl_dlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256] = "";
  char *text = NULL;
  size_t len = 0;
  FILE *in = fmemopen((void *)(uintptr_t)data, size ? size : 1, "rb");
  FILE *out = open_memstream(&text, &len);
  if(!in || !out)
    abort();
  if(!size)
    fgetc(in);  /* fmemopen cannot open an empty buffer: read it empty */
  int rc = ctl_dlog_print(in, out, err, sizeof(err));
  fclose(in);
  fclose(out);
  if(rc != 0 && rc != PW_EPARSE && rc != PW_ENOMEM)
    abort();
  if(rc == PW_EPARSE && strncmp(err, "byte ", 5) != 0)
    abort();  /* every parse error says where */
  /* Whole JSON objects, one a line. */
  for(char *p = text, *nl; p < text + len; p = nl + 1) {
    nl = memchr(p, '\n', (size_t)(text + len - p));
    if(!nl || *p != '{' || nl[-1] != '}')
      abort();
  }
  free(text);
  return 0;
}
