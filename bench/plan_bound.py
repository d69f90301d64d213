#!/usr/bin/python3
"""How far can any policy go on a trace under prewarm plan's platform model?

Replays simple predictors of the next w steps' load (w = warm-up / step)
through the platform model of prewarm plan (ready[t] = min(desired[t-w..t]),
instances ceil(load / unit)) and prints each one's unserved load and cost
relative to the reactive policy of the plan issue (70% of the last step,
highest of the last 300 s), at several quantiles of its own error ratio.

The quantiles are taken over the whole scored trace (in-sample), and the
last predictor looks ahead: a median of the 7 steps centred on the next
one.  Both are optimistic on purpose: what they cannot reach, a causal
policy will not.  Used to judge the AMZN target of the plan issue.

usage: plan_bound.py TRACE STEP_S UNIT WARMUP_S PERIOD
"""
import csv
import math
import sys

import numpy as np


def main():
    path, step, unit, warm, period = sys.argv[1], float(sys.argv[2]), \
        float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    load = np.array([float(r[-1]) for r in rows])
    n = len(load)
    w = max(1, math.ceil(warm / step))
    start = 2 * period
    need = np.ceil(load / unit)

    def ready(d):
        r = d.copy()
        for k in range(1, w + 1):
            r[k:] = np.minimum(r[k:], d[:-k])
        return r

    def score(d):
        short = np.maximum(0, load - ready(d) * unit)
        return short[start:].sum() / load[start:].sum(), d[start:].sum()

    raw = np.ceil(np.concatenate([[need[0]], need[:-1]]) / 0.7)
    rea = raw.copy()
    for j in range(1, max(1, math.ceil(300 / step))):
        rea[j:] = np.maximum(rea[j:], raw[:-j])
    ru, rc = score(rea)
    print("%s: %d steps, w=%d, reactive unserved %.3f%%" % (path, n, w,
                                                           100 * ru))
    # ahead[t]: the highest load of steps t+1..t+w, what desired[t] covers
    ahead = np.full(n, np.nan)
    for t in range(n - 1):
        ahead[t] = load[t + 1:t + 1 + w].max()
    ew = np.zeros(n)
    m = load[0]
    for t in range(n):
        m = 0.3 * load[t] + 0.7 * m
        ew[t] = m
    seas = load.copy()
    for t in range(n):
        idx = [t + 1 - period * k for k in range(1, 8) if t + 1 - period * k >= 0]
        if idx:
            seas[t] = load[idx].mean()
    pad = np.concatenate([[load[0]] * 3, load, [load[-1]] * 4])
    centred = np.array([np.median(pad[t + 1:t + 8]) for t in range(n)])
    predictors = [("last step", load), ("EWMA 0.3", ew),
                  ("seasonal mean (7 seasons)", seas),
                  ("half EWMA, half seasonal", 0.5 * ew + 0.5 * seas),
                  ("centred median (looks ahead)", centred)]
    for name, p in predictors:
        ratio = ahead[start:-1] / np.maximum(p[start:-1], 1e-9)
        for q in (0.85, 0.9, 0.95):
            k = np.quantile(ratio, q)
            d = np.maximum(need, np.ceil(p * k / unit))
            u, c = score(d)
            print("  %-30s q%.2f: unserved %.2fx, instance-seconds %.3fx"
                  % (name, q, u / ru, c / rc))


if __name__ == "__main__":
    main()
