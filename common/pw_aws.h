/*
 * AWS credentials, region and endpoints, resolved as the AWS SDKs do
 * (CONTRACTS.md 2.4-2.6), for the Lambda actuator and the CloudWatch
 * source alike:
 *
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN];
 *   2. AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE: STS
 *      AssumeRoleWithWebIdentity (IRSA on EKS), the token file re-read on
 *      every call;
 *   3. AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity) or
 *      _RELATIVE_URI (ECS), with the token from
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN.
 *
 * Temporary credentials are refreshed 15 minutes before they expire; when
 * that fails they are used until 10 minutes before (botocore's advisory
 * and mandatory windows).  Secrets never appear in errors or logs.
 *
 * A pw_aws may be shared between threads: a mutex guards the credentials.
 */
#ifndef PW_AWS_H
#define PW_AWS_H

#include <stdint.h>

#include "pw_err.h"
#include "pw_http.h"

struct pw_aws;

/* What one signed request needs; owned by the caller, freed with
 * pw_aws_signing_cleanup(). */
struct pw_aws_signing {
  char sigv4[128];          /* "aws:amz:REGION:SERVICE" */
  char *key_id;
  char *secret;
  char *token_header;       /* "X-Amz-Security-Token: ..." or NULL */
};

/*
 * Reads the environment.  Returns 0 and *out, or PW_EINVAL with err
 * saying what is missing or malformed (no region, half a key pair, a
 * container URI on a host the SDKs refuse...).  Free with pw_aws_free().
 */
int pw_aws_new(struct pw_aws **out, char *err, size_t errlen) PW_WUR;
void pw_aws_free(struct pw_aws **ap);

/* The region, and which source the credentials come from ("environment",
 * "web-identity", "container"). */
const char *pw_aws_region(const struct pw_aws *a);
const char *pw_aws_source(const struct pw_aws *a);

/*
 * The endpoint for a service: AWS_ENDPOINT_URL_<SERVICE_ID>, then
 * AWS_ENDPOINT_URL, then https://<prefix>.<region>.amazonaws.com; no
 * trailing slash.  service_id is e.g. "LAMBDA", prefix "lambda".
 */
int pw_aws_endpoint(const struct pw_aws *a, const char *service_id,
                    const char *prefix, char *out, size_t len) PW_WUR;

/*
 * Fills *s for a request to `service` (the signing name, e.g. "lambda",
 * "monitoring") at wall time now_ms, refreshing temporary credentials
 * when due.  Returns 0, or PW_EIO / PW_EINVAL with err saying why the
 * credentials could not be had.
 */
int pw_aws_signing(struct pw_aws *a, const char *service, int64_t now_ms,
                   struct pw_aws_signing *s, char *err, size_t errlen) PW_WUR;
void pw_aws_signing_cleanup(struct pw_aws_signing *s);

/* Adds s's token header (if any) to the first free slot of req->headers. */
void pw_aws_signing_apply(const struct pw_aws_signing *s,
                          struct pw_http_req *req);

/* Temporary credentials read from a reply; the caller owns the strings
 * and frees them with pw_aws_creds_cleanup() (which wipes the secret). */
struct pw_aws_creds {
  char *key_id;
  char *secret;
  char *token;              /* NULL when the reply has none */
  int64_t expires_ms;       /* 0 when the reply gives no expiration */
};

void pw_aws_creds_cleanup(struct pw_aws_creds *c);

/*
 * Parses a 200 reply of STS AssumeRoleWithWebIdentity (xml, any bytes up
 * to a NUL terminator) into *out.  0, or PW_EPARSE with err saying what
 * is missing (never the secret), or PW_ENOMEM.  Thread-safe; the entry
 * point of the reply for the fuzz harness too.
 */
int pw_aws_parse_sts(const char *xml, struct pw_aws_creds *out, char *err,
                     size_t errlen) PW_WUR;

/*
 * Parses a 200 reply of the container credential endpoint (body[len], any
 * bytes; body may be NULL when len is 0) into *out.  Same returns as
 * pw_aws_parse_sts().
 */
int pw_aws_parse_container(const char *body, size_t len,
                           struct pw_aws_creds *out, char *err,
                           size_t errlen) PW_WUR;

/* Counters for tests and metrics: credential fetches made, and failed. */
long pw_aws_refreshes(const struct pw_aws *a);

#endif
