/*
 * The decision log: every decision as a length-delimited protobuf record
 * (proto/prewarm.proto) in a file that rotates at max_bytes, keeping
 * `keep` old files (PATH.1 the newest of them).  `prewarm log show FILE`
 * prints a file as JSON lines.  One thread writes at a time.
 */
#ifndef CTL_DLOG_H
#define CTL_DLOG_H

#include <stddef.h>

#include "../common/pw_err.h"
#include "../proto/pb_decision.h"

struct ctl_dlog;

/* Opens (appends to) path.  0, or PW_EIO with err. */
int ctl_dlog_open(const char *path, long max_bytes, int keep,
                  struct ctl_dlog **out, char *err, size_t errlen) PW_WUR;
/* Appends one record, rotating first when it would not fit.  0 or an
 * error (logged once per failure streak by the caller). */
int ctl_dlog_write(struct ctl_dlog *l, const struct pb_decision *d) PW_WUR;
void ctl_dlog_close(struct ctl_dlog **lp);

/* prewarm log show FILE */
int ctl_dlog_main(int argc, char **argv);

#endif
