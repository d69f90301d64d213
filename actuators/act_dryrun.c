#include "act_dryrun.h"

#include "../common/pw_alloc.h"

struct dryrun {
  struct act base;
  struct act *inner;
  struct act_dryrun_log log;
};

static int dry_get(struct act *a, struct act_capacity *out) {
  struct dryrun *d = (struct dryrun *)a;
  if(d->inner)
    return act_get(d->inner, out);
  /* Nothing to read: report what would have been requested. */
  out->requested = d->log.last;
  out->ready = d->log.last;
  return 0;
}

static int dry_set(struct act *a, long desired, struct act_capacity *out) {
  struct dryrun *d = (struct dryrun *)a;
  d->log.requests++;
  if(desired != d->log.last)
    d->log.changes++;
  d->log.last = desired;
  if(d->inner) {
    /* What is really there; the request itself goes nowhere. */
    return act_get(d->inner, out);
  }
  out->requested = desired;
  out->ready = desired;
  return 0;
}

static void dry_free(struct act *a) {
  struct dryrun *d = (struct dryrun *)a;
  act_free(&d->inner);
  pw_free(d);
}

static const struct act_ops dry_ops = {"dryrun", dry_get, dry_set, dry_free};

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
