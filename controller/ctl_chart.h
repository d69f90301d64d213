/*
 * The load and capacity charts of the `prewarm plan --report` page: the
 * whole trace as one panel per policy and the three worst days (by the
 * predictive policy's loss) at full resolution, all on one scale in
 * instances, with a time axis, a legend and values on hover (a small
 * inline script; nothing is fetched).
 */
#ifndef CTL_CHART_H
#define CTL_CHART_H

#include <stdio.h>

#include "ctl_plan.h"

/* The CSS the charts need, to go into the page's <style>. */
extern const char ctl_chart_css[];

/*
 * Writes the charts' section (headings, legend, SVG panels, the hover
 * box and its script) into fp, an HTML body being written.  Times come
 * from r->labels when every label parses (pw_time_parse(), shown in
 * UTC), else from step offsets ("day N hh:mm").  Returns 0, or
 * PW_ENOMEM (fp then holds part of the section); write errors are left
 * in fp's error flag for the caller's ferror().
 */
int ctl_chart_write(FILE *fp, const struct ctl_plan_result *r) PW_WUR;

#endif
