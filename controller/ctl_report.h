/*
 * The `prewarm plan --report DIR` output: a self-contained index.html
 * (inline SVG, CSS and a small hover script, nothing fetched from the
 * network; the load/capacity charts come from ctl_chart.h) and the CSVs
 * behind it (series.csv, summary.csv), linked from the page.
 */
#ifndef CTL_REPORT_H
#define CTL_REPORT_H

#include "ctl_plan.h"

/* Writes the report into dir (created if missing).  0, or PW_EIO with a
 * message in err. */
int ctl_report_write(const struct ctl_plan_result *r, const char *dir,
                     char *err, size_t errlen) PW_WUR;

#endif
