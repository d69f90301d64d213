/*
 * prewarm: predictive pre-warming autoscaler.  The entry point dispatches
 * to the subcommands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "../common/pw_log.h"
#include "ctl_cli.h"
#include "ctl_demo.h"
#include "ctl_forecast.h"
#include "ctl_plan.h"
#include "ctl_dlog.h"
#include "ctl_run.h"

#ifndef PREWARM_VERSION
#define PREWARM_VERSION "0.1.0"
#endif

static const char usage[] =
  "usage: prewarm COMMAND [OPTIONS]\n"
  "\n"
  "Predictive pre-warming for AWS Lambda provisioned concurrency and\n"
  "Kubernetes replicas.\n"
  "\n"
  "commands:\n"
  "  run          the daemon: read load, forecast, set capacity; serve\n"
  "               /metrics and /api (see config/examples/local.yaml)\n"
  "  check-config validate a configuration file and summarise it\n"
  "  log show     print a decision log as JSON lines\n"
  "  plan         replay a load history through the control loop and\n"
  "               compare its cost and cold starts with other policies\n"
  "  forecast     fit a seasonal model to a CSV series and forecast it\n"
  "  demo-trace   write the synthetic example trace used by the demo\n"
  "  help         show this text\n"
  "  version      print the version\n"
  "\n"
  "Run 'prewarm COMMAND --help' for the options of a command.\n";

int main(int argc, char **argv) {
  /* GSL's default handler aborts the process; every status is checked. */
  gsl_set_error_handler_off();
  /* Commands print their results; the log says what happened on the way
   * and is quiet unless asked (PREWARM_LOG_LEVEL=debug|info|warn|error). */
  enum pw_log_level level = PW_LOG_WARN;
  const char *lvl = getenv("PREWARM_LOG_LEVEL");
  if(lvl && pw_log_level_parse(lvl, &level)) {
    fprintf(stderr, "prewarm: PREWARM_LOG_LEVEL: '%s' is not debug, info, "
            "warn, error or off\n", lvl);
    return CTL_EXIT_USAGE;
  }
  pw_log_threshold = level;
  if(argc < 2) {
    fputs(usage, stderr);
    return CTL_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if(strcmp(cmd, "run") == 0)
    return ctl_run_main(argc - 1, argv + 1);
  if(strcmp(cmd, "log") == 0)
    return ctl_dlog_main(argc - 1, argv + 1);
  if(strcmp(cmd, "check-config") == 0)
    return ctl_check_config_main(argc - 1, argv + 1);
  if(strcmp(cmd, "plan") == 0)
    return ctl_plan_main(argc - 1, argv + 1);
  if(strcmp(cmd, "forecast") == 0)
    return ctl_forecast_main(argc - 1, argv + 1);
  if(strcmp(cmd, "demo-trace") == 0)
    return ctl_demo_main(argc - 1, argv + 1);
  if(strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
     strcmp(cmd, "-h") == 0) {
    fputs(usage, stdout);
    return CTL_EXIT_OK;
  }
  if(strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("prewarm %s\n", PREWARM_VERSION);
    return CTL_EXIT_OK;
  }
  fprintf(stderr, "prewarm: unknown command '%s'\n\n%s", cmd, usage);
  return CTL_EXIT_USAGE;
}
