/*
 * libFuzzer harness: replies from the APIs prewarm reads, on arbitrary
 * bytes: a Prometheus query_range reply, and YAML documents (kubeconfig,
 * configuration).  Each must be accepted or refused with a message,
 * never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../common/pw_yaml.h"
#include "../../telemetry/tel_prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct tel_samples s = {0};
  long rejected = 0;
  char err[256];
  int rc = tel_prom_parse((const char *)data, size, 0, 3600000, 60000, &s,
                          &rejected, err, sizeof(err));
  if(rc != 0 && err[0] == '\0')
    __builtin_trap();  /* an error must say why */
  for(size_t i = 0; i < s.n; i++)
    if(s.ts_ms[i] < 0 || s.ts_ms[i] > 3600000 || s.ts_ms[i] % 60000)
      __builtin_trap();  /* only samples on the grid, inside the range */
  tel_samples_cleanup(&s);
  struct pw_yaml *y = NULL;
  err[0] = '\0';
  rc = pw_yaml_parse((const char *)data, size, &y, err, sizeof(err));
  if(rc != 0 && err[0] == '\0')
    __builtin_trap();
  pw_yaml_free(&y);
  return 0;
}
