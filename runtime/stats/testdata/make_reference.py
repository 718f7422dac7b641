#!/usr/bin/env python3
"""Computes reference values for runtime/stats with SciPy.

Run from this directory:  /usr/bin/python3 make_reference.py > reference.json
The Go tests (reference_test.go) compare every value with tight tolerances.
NaN and infinities are written as the strings "nan", "inf", "-inf".
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats

SAMPLES = {
    "ints": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5],
    "floats": [0.25, 1.5, -2.75, 3.125, 0.5, 2.0, 1.25],
    "n2": [1.0, 4.0],
    "n1": [2.5],
    "const0": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "const3": [3.0, 3.0, 3.0, 3.0, 3.0],
    "ties": [0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 0, 1],
    "small_a": [1.1, 2.3, 3.7, 4.2, 5.9],
    "small_b": [6.1, 7.4, 8.8, 9.2, 10.5, 11.1],
    "overlap_a": [1.0, 2.5, 3.25, 4.0, 6.5, 7.0],
    "overlap_b": [2.0, 3.0, 5.5, 6.0, 8.25],
    "rewards_base": [2.25, 3.0, 2.75, 3.5, 2.0, 3.25, 2.5, 3.0, 2.75, 3.75, 2.5, 3.0],
    "rewards_rand": [0.0, 0.25, 0.0, 0.0, 0.5, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.25],
    "large_a": [math.sin(i) * 3 + i * 0.01 for i in range(40)],
    "large_b": [math.cos(i) * 2 + 0.3 for i in range(35)],
    "nine_a": [0.1, 0.9, 1.7, 2.2, 3.3, 4.1, 5.6, 6.0, 7.7],
    "nine_b": [1.2, 2.8, 3.9, 4.4, 5.1, 6.5, 7.2, 8.3, 9.9],
    "eight_a": [10.0, 11.5, 9.25, 12.0, 13.5, 8.0, 14.25, 10.75],
    "wide_b": [float(i) * 0.7 for i in range(30)],
}

PAIRS = [
    ("small_a", "small_b"),
    ("small_b", "small_a"),
    ("overlap_a", "overlap_b"),
    ("rewards_base", "rewards_rand"),
    ("rewards_base", "const0"),
    ("rewards_rand", "const0"),
    ("const0", "const3"),
    ("const3", "const3"),
    ("n2", "floats"),
    ("n2", "n2"),
    ("ties", "ints"),
    ("large_a", "large_b"),
    ("nine_a", "nine_b"),
    ("eight_a", "wide_b"),
    ("ints", "floats"),
    ("n1", "floats"),
]

P_VECTORS = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.001, 0.049, 0.6, 0.012, 0.3],
    [0.5],
    [0.04, 0.04, 0.04],
    [1e-10, 0.9, 0.02],
]


def enc(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def cohens_d(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = len(a), len(b)
    va = np.var(a, ddof=1) if na > 1 else 0.0
    vb = np.var(b, ddof=1) if nb > 1 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
        return np.float64(np.mean(a) - np.mean(b)) / s


def holm(p):
    # statsmodels' multipletests(method="holm"), written out.
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1, (m - np.arange(m)) * p[order])
    adj = np.maximum.accumulate(adj)
    out = np.empty(m)
    out[order] = adj
    return out


def prob_improvement(a, b):
    # rliable: Mann-Whitney U of a against b over all pairs.
    u = stats.mannwhitneyu(a, b).statistic
    return u / (len(a) * len(b))


def main():
    out = {"scipy": scipy.__version__, "numpy": np.__version__, "samples": SAMPLES}
    desc = {}
    for name, x in SAMPLES.items():
        x = np.asarray(x, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            std = np.std(x, ddof=1) if len(x) > 1 else float("nan")
        desc[name] = {
            "mean": enc(np.mean(x)),
            "std": enc(std),
            "median": enc(np.median(x)),
            "iqm": enc(stats.trim_mean(x, 0.25)),
            "q025": enc(np.quantile(x, 0.025)),
            "q975": enc(np.quantile(x, 0.975)),
            "min": enc(np.min(x)),
            "max": enc(np.max(x)),
        }
    out["descriptive"] = desc

    pairs = []
    for a, b in PAIRS:
        x, y = SAMPLES[a], SAMPLES[b]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_ind(x, y, equal_var=False)
            mw = stats.mannwhitneyu(x, y, use_continuity=True, alternative="two-sided", method="auto")
            d = cohens_d(x, y)
        pairs.append({
            "a": a, "b": b,
            "welch_t": enc(t.statistic), "welch_p": enc(t.pvalue),
            "mwu_u": enc(mw.statistic), "mwu_p": enc(mw.pvalue),
            "cohens_d": enc(d),
            "prob_improvement": enc(prob_improvement(x, y)),
        })
    out["pairs"] = pairs

    out["holm"] = [{"p": p, "adjusted": [enc(v) for v in holm(p)]} for p in P_VECTORS]

    # Percentile bootstrap of the mean, one stratum; Monte Carlo values, so
    # the Go test allows a tolerance relative to the interval's width.
    boots = []
    for name in ["ints", "rewards_base", "large_a", "const3"]:
        x = np.asarray(SAMPLES[name], float)
        if np.all(x == x[0]):
            lo = hi = x[0]
        else:
            r = stats.bootstrap((x,), np.mean, n_resamples=200000, method="percentile",
                                confidence_level=0.95, random_state=np.random.default_rng(1))
            lo, hi = r.confidence_interval
        boots.append({"sample": name, "low": enc(lo), "high": enc(hi)})
    out["bootstrap"] = boots

    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
