/*
 * libFuzzer harness: the CSV reader on arbitrary bytes, with and without
 * a named column and labels.  It must return a value or an error with a
 * message, never crash, leak or read out of bounds.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/pw_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const columns[] = {NULL, "value", "load"};
  for(int k = 0; k < 3; k++) {
    FILE *fp = fmemopen((void *)(uintptr_t)data, size ? size : 1, "r");
    if(!fp)
      return 0;
    if(!size)
      fgetc(fp);  /* fmemopen cannot open an empty buffer: read it empty */
    struct pw_csv_column col;
    char err[256];
    int rc = pw_csv_read_stream(fp, "fuzz", columns[k], k == 2, &col, err,
                                sizeof(err));
    fclose(fp);
    if(rc == 0) {
      for(size_t i = 0; i < col.n; i++) {
        if(!(isnan(col.values[i]) || isfinite(col.values[i])))
          abort();  /* the reader promised finite numbers or NAN */
      }
      pw_csv_column_cleanup(&col);
    }
    else if(strncmp(err, "fuzz:", 5) != 0) {
      abort();  /* every error names the input */
    }
  }
  return 0;
}
