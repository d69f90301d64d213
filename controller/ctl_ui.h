/*
 * The /ui page: one self-contained HTML document (inline CSS and script,
 * no external assets) that reads /api/v1/targets and draws, per target,
 * the recent load, the forecast mean with its quantile band, desired and
 * ready capacity and the decisions that changed it, refreshing itself.
 */
#ifndef CTL_UI_H
#define CTL_UI_H

/* The page, one line per string, NULL-terminated. */
extern const char *const ctl_ui_page[];

#endif
