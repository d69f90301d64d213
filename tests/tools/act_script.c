/*
 * Drives one real actuator through a scripted sequence of ticks, for the
 * integration tests against the local API servers:
 *
 *   act_script [--dry-run] lambda FUNCTION QUALIFIER STEP...
 *   act_script [--dry-run] k8s MODE NAMESPACE NAME STEP...
 *   act_script [--dry-run] keda|knative NAMESPACE NAME STEP...
 *
 * MODE is replicas or hpa-min-replicas; K8S_KIND names the workload kind.
 * Steps: "get", "set:N", "sleep:MS", "until-ready:N:TIMEOUT_MS" (gets until
 * ready == N), "run:FILE" (runs a shell script).  An empty NAMESPACE means
 * the default; K8S_KUBECONFIG and K8S_SA_DIR set the kubeconfig path and
 * the service-account folder; RESTORE_MIN the keda/knative floor given
 * back (default: the user's own).  Each step prints one line:
 *   STEP rc=CODE requested=R current=C ready=Y flags=F why=TEXT
 * with F made of L (limited), R (refused), P (pending), U (unchanged),
 * D (deferred: waits for an earlier change) and S (stale reading).
 * Configuration comes from the environment, as in production.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../actuators/act_dryrun.h"
#include "../../actuators/act_k8s.h"
#include "../../actuators/act_keda.h"
#include "../../actuators/act_knative.h"
#include "../../actuators/act_lambda.h"
#include "../../common/pw_clock.h"
#include "../../common/pw_http.h"

static long env_long(const char *name, long dflt) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : dflt;
}

static void show(const char *step, int rc, const struct act *a,
                 const struct act_capacity *c) {
  printf("%s rc=%s requested=%ld current=%ld ready=%ld flags=%s%s%s%s%s%s "
         "why=%s\n", step, rc ? pw_strerror(rc) : "ok", c->requested,
         c->current, c->ready, c->flags & ACT_F_LIMITED ? "L" : "",
         c->flags & ACT_F_REFUSED ? "R" : "", c->flags & ACT_F_PENDING ? "P"
                                                                       : "",
         c->flags & ACT_F_UNCHANGED ? "U" : "",
         c->flags & ACT_F_DEFERRED ? "D" : "",
         c->flags & ACT_F_STALE ? "S" : "", a->why);
  fflush(stdout);
}

static int run_steps(struct act *a, char **steps, int n) {
  int bad = 0;
  for(int i = 0; i < n; i++) {
    struct act_capacity c = {-1, -1, -1, 0};
    long v = 0, t = 0;
    int rc = 0;
    a->why[0] = '\0';
    if(strcmp(steps[i], "get") == 0) {
      rc = act_get(a, &c);
    } else if(sscanf(steps[i], "set:%ld", &v) == 1) {
      rc = act_set(a, v, &c);
    } else if(strncmp(steps[i], "run:", 4) == 0) {
      /* A shell script between ticks, e.g. to rotate a token. */
      char cmd[600];
      snprintf(cmd, sizeof(cmd), "sh '%s'", steps[i] + 4);
      if(system(cmd) != 0)
        fprintf(stderr, "act_script: %s failed\n", cmd);
      continue;
    } else if(sscanf(steps[i], "sleep:%ld", &v) == 1) {
      pw_sleep_ms(v);
      continue;
    } else if(sscanf(steps[i], "until-ready:%ld:%ld", &v, &t) == 2) {
      double end = pw_clock_mono_ms() + (double)t;
      do {
        rc = act_get(a, &c);
        if(rc == 0 && c.ready == v)
          break;
        pw_sleep_ms(100);
      } while(pw_clock_mono_ms() < end);
    } else {
      fprintf(stderr, "act_script: unknown step %s\n", steps[i]);
      return 2;
    }
    show(steps[i], rc, a, &c);
    bad |= rc != 0;
  }
  return bad;
}

int main(int argc, char **argv) {
  char err[512] = "";
  struct pw_aws *aws = NULL;
  struct act *a = NULL;
  int dry = 0, rc, first;
  if(argc > 1 && strcmp(argv[1], "--dry-run") == 0) {
    dry = 1;
    argv++;
    argc--;
  }
  if(argc >= 4 && strcmp(argv[1], "lambda") == 0) {
    struct act_lambda_cfg c = {.function = argv[2], .qualifier = argv[3],
                               .poll_ms = env_long("ACT_POLL_MS", 200),
                               .refresh_ms = env_long("ACT_REFRESH_MS", 200),
                               .timeout_ms = env_long("ACT_TIMEOUT_MS", 0),
                               .retry_base_ms = 50};
    rc = pw_aws_new(&aws, err, sizeof(err));
    if(rc == 0)
      rc = act_lambda_new(&c, aws, &a, err, sizeof(err));
    first = 4;
  } else if(argc >= 5 && strcmp(argv[1], "k8s") == 0) {
    struct act_k8s_cfg c = {.mode = argv[2], .kind = getenv("K8S_KIND"),
                            .namespace_ = argv[3][0] ? argv[3] : NULL,
                            .kubeconfig = getenv("K8S_KUBECONFIG"),
                            .sa_dir = getenv("K8S_SA_DIR"),
                            .name = argv[4], .retry_base_ms = 50,
                            .timeout_ms = env_long("ACT_TIMEOUT_MS", 0)};
    rc = act_k8s_new(&c, &a, err, sizeof(err));
    first = 5;
  } else if(argc >= 4 && (strcmp(argv[1], "keda") == 0 ||
                           strcmp(argv[1], "knative") == 0)) {
    struct act_keda_cfg c = {.namespace_ = argv[2][0] ? argv[2] : NULL,
                             .name = argv[3],
                             .kubeconfig = getenv("K8S_KUBECONFIG"),
                             .sa_dir = getenv("K8S_SA_DIR"),
                             .restore_min = env_long("RESTORE_MIN", -1),
                             .retry_base_ms = 50,
                             .timeout_ms = env_long("ACT_TIMEOUT_MS", 0)};
    struct act_knative_cfg n = {c.namespace_, c.name, c.kubeconfig,
                                c.sa_dir, c.restore_min, c.timeout_ms,
                                c.retry_base_ms};
    rc = argv[1][1] == 'e' ? act_keda_new(&c, &a, err, sizeof(err))
                           : act_knative_new(&n, &a, err, sizeof(err));
    first = 4;
  } else {
    fprintf(stderr, "usage: act_script [--dry-run] lambda FN QUALIFIER "
            "STEP... | k8s MODE NS NAME STEP...\n");
    return 2;
  }
  if(rc) {
    printf("init rc=%s why=%s\n", pw_strerror(rc), err);
    pw_aws_free(&aws);
    return 1;
  }
  if(dry && act_dryrun_new(a, &a)) {
    pw_aws_free(&aws);
    return 1;
  }
  rc = run_steps(a, argv + first, argc - first);
  act_free(&a);
  pw_aws_free(&aws);
  return rc;
}
