/*
 * The clock the control loop runs on: the wall clock in the daemon, a
 * simulated one in replays, so that both run the same code.
 */
#ifndef PW_CLOCK_H
#define PW_CLOCK_H

#include <stdint.h>

struct pw_clock;

struct pw_clock_ops {
  /* Milliseconds since the Unix epoch. */
  int64_t (*now_ms)(struct pw_clock *c);
  /* Returns once now_ms() >= t_ms (a simulated clock jumps there). */
  void (*sleep_until)(struct pw_clock *c, int64_t t_ms);
};

struct pw_clock {
  const struct pw_clock_ops *ops;
  int64_t sim_ms;  /* the simulated time (pw_clock_sim), or the origin
                    * (pw_clock_scaled) */
  double speed;    /* pw_clock_scaled only */
};

/* Initialises c as the wall clock (CLOCK_REALTIME, sleeps for real). */
void pw_clock_wall(struct pw_clock *c);

/* Initialises c as the wall clock running `speed` times faster from now
 * on (the local demo replays two weeks in hours). */
void pw_clock_scaled(struct pw_clock *c, double speed);

/* Initialises c as a simulated clock starting at start_ms. */
void pw_clock_sim(struct pw_clock *c, int64_t start_ms);

/* Monotonic milliseconds, for measuring durations. */
double pw_clock_mono_ms(void);

#endif
