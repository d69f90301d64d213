/*
 * `prewarm run` (the daemon) and `prewarm check-config`.
 */
#ifndef CTL_RUN_H
#define CTL_RUN_H

int ctl_run_main(int argc, char **argv);
int ctl_check_config_main(int argc, char **argv);

#endif
