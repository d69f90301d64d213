/*
 * `prewarm forecast`: fit and forecast one series from a CSV file.
 */
#ifndef CTL_FORECAST_H
#define CTL_FORECAST_H

/* Runs the command; returns the process exit status (0, 1 or 2). */
int ctl_forecast_main(int argc, char **argv);

#endif
