/*
 * libFuzzer harness: the replies the actuators and the AWS credential
 * chain read, on arbitrary bytes.  Every parser gets the same input:
 * Lambda (Get/PutProvisionedConcurrencyConfig, GetAlias,
 * GetFunctionConcurrency, GetAccountSettings, a List page, an error
 * body), Kubernetes (a workload, an HPA, an HPA list, a Status object,
 * a KEDA ScaledObject, a Knative Service and Revision),
 * STS AssumeRoleWithWebIdentity and the container credential endpoint.
 * Each must accept or refuse, never crash, leak or read out of bounds,
 * and what it accepts must be in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../actuators/act_int.h"
#include "../../common/pw_alloc.h"
#include "../../common/pw_aws.h"
#include "../../common/pw_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_count(long v) {
  if(v < 0 || v > 1000000000L)
    __builtin_trap();
}

static void lambda(const char *b, size_t n, const char *z) {
  struct act_lambda_pc pc;
  long v, others = 0;
  int w;
  char *next = NULL, code[128], msg[160];
  if(act_lambda_parse_config(b, n, &pc) == 0) {
    check_count(pc.requested);
    check_count(pc.allocated);
    check_count(pc.available);
    if(pc.status > ACT_LAMBDA_FAILED ||
       memchr(pc.reason, '\0', sizeof(pc.reason)) == NULL)
      __builtin_trap();
  }
  (void)act_lambda_parse_alias(b, n, &w);
  if(act_lambda_parse_reserved(b, n, &v) == 0 && v != -1)
    check_count(v);
  if(act_lambda_parse_unreserved(b, n, &v) == 0)
    check_count(v);
  if(act_lambda_parse_list(b, n, "live", &others, &next) == 0 && others < 0)
    __builtin_trap();
  pw_free(next);
  /* The error code, with the input as the header too. */
  act_lambda_parse_error(NULL, b, n, code, sizeof(code), msg, sizeof(msg));
  act_lambda_parse_error(z, b, n, code, sizeof(code), msg, sizeof(msg));
  if(strchr(code, ':') != NULL || strchr(code, '#') != NULL)
    __builtin_trap();  /* botocore's rule: both are cut away */
}

static void kubernetes(const char *b, size_t n) {
  long spec, status, ready;
  struct act_k8s_hpa h;
  char hpa[254], reason[64], msg[200];
  if(act_k8s_parse_workload(b, n, &spec, &status, &ready) == 0) {
    check_count(spec);
    check_count(status);
    check_count(ready);
  }
  if(act_k8s_parse_hpa(b, n, &h) == 0) {
    check_count(h.min);
    check_count(h.max);
    check_count(h.current);
  }
  if(act_k8s_parse_hpa_list(b, n, "Deployment", "web", hpa, sizeof(hpa)) &&
     hpa[0] != '\0')
    __builtin_trap();  /* a refused list names no HPA */
  act_k8s_parse_status(b, n, reason, sizeof(reason), msg, sizeof(msg));
}

/* What goes back into a patch body must need no escaping. */
static void plain(const char *s) {
  for(; *s; s++)
    if(*s < ' ' || *s > '~' || *s == '"' || *s == '\\')
      __builtin_trap();
}

static void floors(const char *b, size_t n) {
  struct act_keda_so so;
  struct act_knative_rev r;
  char rev[254];
  if(act_keda_parse(b, n, &so) == 0) {
    check_count(so.min);
    check_count(so.max);
    if(so.idle != -1)
      check_count(so.idle);
    if(so.mark != -1)
      check_count(so.mark);
    plain(so.rv);
  }
  (void)act_knative_parse_service(b, n, rev, sizeof(rev));
  if(act_knative_parse_revision(b, n, &r) == 0) {
    check_count(r.min);
    check_count(r.desired);
    check_count(r.actual);
    if(r.max != -1)
      check_count(r.max);
    plain(r.rv);
    if(strspn(r.min_raw, "0123456789") != strlen(r.min_raw) ||
       strspn(r.mark_raw, "0123456789") != strlen(r.mark_raw))
      __builtin_trap();
  }
}

static void credentials(const char *b, size_t n, const char *z) {
  struct pw_aws_creds c;
  char err[256] = "";
  int rc = pw_aws_parse_sts(z, &c, err, sizeof(err));
  if(rc == 0 && (!c.key_id[0] || !c.secret[0] || !c.token))
    __builtin_trap();
  if(rc != 0 && (err[0] == '\0' || c.key_id || c.secret))
    __builtin_trap();  /* an error says why and hands nothing over */
  pw_aws_creds_cleanup(&c);
  err[0] = '\0';
  rc = pw_aws_parse_container(b, n, &c, err, sizeof(err));
  if(rc == 0 && (!c.key_id[0] || !c.secret[0]))
    __builtin_trap();
  if(rc != 0 && err[0] == '\0')
    __builtin_trap();
  pw_aws_creds_cleanup(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A copy with a terminator, for the parsers that take a C string. */
  char *z = malloc(size + 1);
  if(!z)
    return 0;
  memcpy(z, data, size);
  z[size] = '\0';
  lambda((const char *)data, size, z);
  kubernetes((const char *)data, size);
  floors((const char *)data, size);
  credentials((const char *)data, size, z);
  free(z);
  return 0;
}
