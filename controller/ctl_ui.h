/*
 * The /ui page: one self-contained HTML document (inline CSS and script,
 * no external assets) that lists targets from /api/v1/target-names,
 * fetches /api/v1/targets/NAME[/history] for the 12 it shows, and draws
 * each in instances (load and forecast divided by the unit capacity)
 * with y and time ticks: the recent load, the forecast mean with its
 * quantile band, desired and ready capacity, the decisions that changed
 * it and a strip of their reasons, refreshing itself.
 */
#ifndef CTL_UI_H
#define CTL_UI_H

/* The page, one line per string, NULL-terminated. */
extern const char *const ctl_ui_page[];

#endif
