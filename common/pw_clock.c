#include "pw_clock.h"

#include <errno.h>
#include <time.h>

static int64_t wall_now(struct pw_clock *c) {
  struct timespec ts;
  (void)c;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wall_sleep(struct pw_clock *c, int64_t t_ms) {
  int64_t now;
  while((now = wall_now(c)) < t_ms) {
    int64_t d = t_ms - now;
    struct timespec ts = {.tv_sec = (time_t)(d / 1000),
                          .tv_nsec = (long)(d % 1000) * 1000000L};
    if(nanosleep(&ts, NULL) && errno != EINTR)
      break;
  }
}

static int64_t sim_now(struct pw_clock *c) { return c->sim_ms; }

static void sim_sleep(struct pw_clock *c, int64_t t_ms) {
  if(t_ms > c->sim_ms)
    c->sim_ms = t_ms;
}

/* Scaled: time runs `speed` times faster from the origin (a demo). */
static int64_t scaled_now(struct pw_clock *c) {
  return c->sim_ms + (int64_t)((double)(wall_now(c) - c->sim_ms) * c->speed);
}

static void scaled_sleep(struct pw_clock *c, int64_t t_ms) {
  int64_t now = scaled_now(c);
  if(t_ms > now)
    wall_sleep(c, wall_now(c) + (int64_t)((double)(t_ms - now) / c->speed));
}

static const struct pw_clock_ops wall_ops = {wall_now, wall_sleep};
static const struct pw_clock_ops sim_ops = {sim_now, sim_sleep};
static const struct pw_clock_ops scaled_ops = {scaled_now, scaled_sleep};

void pw_clock_scaled(struct pw_clock *c, double speed) {
  c->ops = &scaled_ops;
  c->sim_ms = wall_now(c);
  c->speed = speed > 0 ? speed : 1;
}

void pw_clock_wall(struct pw_clock *c) {
  c->ops = &wall_ops;
  c->sim_ms = 0;
}

void pw_clock_sim(struct pw_clock *c, int64_t start_ms) {
  c->ops = &sim_ops;
  c->sim_ms = start_ms;
}

double pw_clock_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
