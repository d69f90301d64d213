/*
 * `prewarm demo-trace`: writes a realistic request trace that the project
 * generates itself, for the demo and the tests: a daily cycle with morning
 * and evening peaks, quieter weekends, slow growth, Poisson-like noise,
 * scheduled bursts and a rare flash crowd.  Deterministic for a given seed.
 */
#ifndef CTL_DEMO_H
#define CTL_DEMO_H

#include <stddef.h>

/* Fills load[0..n) with the requests of each step of step_s seconds. */
void ctl_demo_generate(double *load, size_t n, int step_s, unsigned long seed);

/* Runs the command; returns the process exit status. */
int ctl_demo_main(int argc, char **argv);

#endif
