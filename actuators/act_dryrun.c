#include "act_dryrun.h"

#include <stdio.h>

#include "../common/pw_alloc.h"

struct dryrun {
  struct act base;
  struct act *inner;
  struct act_dryrun_log log;
};

/* The inner actuator's explanation becomes the dry run's. */
static void take_why(struct act *a, const struct act *inner) {
  snprintf(a->why, sizeof(a->why), "%s", inner->why);
}

static int dry_get(struct act *a, struct act_capacity *out) {
  struct dryrun *d = (struct dryrun *)a;
  if(d->inner) {
    int rc = act_get(d->inner, out);
    take_why(a, d->inner);
    return rc;
  }
  /* Nothing to read: report what would have been requested. */
  *out = (struct act_capacity){d->log.last, d->log.last, d->log.last, 0};
  return 0;
}

static int dry_plan(struct act *a, long desired, long *send,
                    unsigned *flags) {
  struct dryrun *d = (struct dryrun *)a;
  if(!d->inner) {
    *send = desired;
    return 0;
  }
  int rc = act_plan(d->inner, desired, send, flags);
  take_why(a, d->inner);
  return rc;
}

static int dry_set(struct act *a, long desired, struct act_capacity *out) {
  struct dryrun *d = (struct dryrun *)a;
  unsigned flags = 0;
  long send = desired;
  d->log.requests++;
  if(d->inner) {
    /* What is really there, read first as the real set() does, so the
     * call that fails first is the one reported.  *out is filled even
     * then (the last reading, or -1, with ACT_F_STALE). */
    int grc = act_get(d->inner, out);
    if(grc) {
      take_why(a, d->inner);
      return grc;
    }
  }
  int rc = act_plan(a, desired, &send, &flags);
  if(flags & ACT_F_LIMITED)
    d->log.limited++;
  if(rc == PW_EREFUSED || (flags & ACT_F_REFUSED)) {
    d->log.refused++;
    send = d->log.last;
  } else if(rc == 0 && !(flags & ACT_F_DEFERRED)) {
    if(send != d->log.last)
      d->log.changes++;
    d->log.last = send;
  }
  if(!d->inner)
    *out = (struct act_capacity){send, send, send, 0};
  out->flags |= flags;
  return rc;
}

static void dry_free(struct act *a) {
  struct dryrun *d = (struct dryrun *)a;
  act_free(&d->inner);
  pw_free(d);
}

static const struct act_ops dry_ops = {"dryrun", dry_get, dry_plan, dry_set,
                                       dry_free};

int act_dryrun_new(struct act *inner, struct act **out) {
  struct dryrun *d = pw_calloc(1, sizeof(*d));
  *out = NULL;
  if(!d) {
    act_free(&inner);
    return PW_ENOMEM;
  }
  d->base.ops = &dry_ops;
  d->inner = inner;
  d->log.last = -1;
  *out = &d->base;
  return 0;
}

const struct act_dryrun_log *act_dryrun_log(const struct act *a) {
  return &((const struct dryrun *)a)->log;
}
