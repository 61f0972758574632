"""numpy / scipy anchor of bench/drift.ts (run by it; not part of the project's runtime).

Usage: python3 bench/drift_anchor.py MANIFEST.json  -> prints one JSON object on stdout.

The manifest (written by bench/drift.ts) names .npy files of the current window (numeric columns float64 with NaN
for missing; categorical columns fixed-width unicode with "" for missing), the reference raw numeric columns (for
KS), and per feature the reference profile's histogram edges / top categories and reference bin counts (the
profile's counts followed by its missing count, exactly as lib/stats/drift.ts uses them).

Computed, each timed on its own (`warmup` untimed runs, then `repeats` timed ones whose samples in ms are reported;
loading the files is timed separately). bench/drift.ts starts this script once per round, between its own timings:
  psi_unique  PSI per feature: np.histogram on (-inf, *edges, +inf) of the non-NaN values for numeric features;
              np.unique(return_counts=True) (numpy's value_counts) for categorical ones.
  psi_eq      the same PSI, categorical counts by one vectorised `== value` per reference category instead.
  ks          scipy.stats.ks_2samp(reference, current) per numeric feature, NaNs dropped (statistic and p-value).
Also timed: PSI of the numeric features only (np.histogram) and of the categorical features only (both variants).
PSI formula as lib/stats/distances.ts: sum((c - r) * ln(c / r)) over proportions, an empty bin counting as 1e-4.
"""

import json
import resource
import sys
import time

import numpy as np
from scipy.stats import ks_2samp


def psi(reference, current, epsilon):
    r = np.asarray(reference, dtype=np.float64)
    c = np.asarray(current, dtype=np.float64)
    rt, ct = r.sum(), c.sum()
    if not (rt > 0 and ct > 0):
        return 0.0
    r = r / rt
    c = c / ct
    r = np.where(r == 0, epsilon, r)
    c = np.where(c == 0, epsilon, c)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_counts(values, edges):
    missing = np.isnan(values)
    bins = np.concatenate(([-np.inf], np.asarray(edges, dtype=np.float64), [np.inf]))
    counts, _ = np.histogram(values[~missing], bins=bins)
    return np.append(counts, np.count_nonzero(missing))


def categorical_counts_unique(values, categories):
    uniques, counts = np.unique(values, return_counts=True)
    found = dict(zip(uniques.tolist(), counts.tolist()))
    missing = found.pop("", 0)
    top = [found.get(c, 0) for c in categories]
    return np.array(top + [len(values) - missing - sum(top), missing])


def categorical_counts_eq(values, categories):
    top = [int(np.count_nonzero(values == c)) for c in categories]
    missing = int(np.count_nonzero(values == ""))
    return np.array(top + [len(values) - missing - sum(top), missing])


def psi_all(features, data, epsilon, categorical_counts):
    out = {}
    for f in features:
        if f["type"] == "numeric":
            current = numeric_counts(data[f["name"]], f["edges"])
        else:
            current = categorical_counts(data[f["name"]], f["categories"])
        out[f["name"]] = psi(f["referenceCounts"], current, epsilon)
    return out


def ks_all(features, data, reference):
    out = {}
    for f in features:
        if f["type"] != "numeric":
            continue
        cur = data[f["name"]]
        ref = reference[f["name"]]
        result = ks_2samp(ref[~np.isnan(ref)], cur[~np.isnan(cur)])
        out[f["name"]] = {"statistic": float(result.statistic), "pvalue": float(result.pvalue)}
    return out


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        value = fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        value = fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return value, samples


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        manifest = json.load(fh)
    features = manifest["features"]
    warmup, repeats, eps = manifest["warmup"], manifest["repeats"], manifest["epsilon"]

    start = time.perf_counter_ns()
    data = {f["name"]: np.load(f["current"]) for f in features}
    reference = {f["name"]: np.load(f["reference"]) for f in features if f["type"] == "numeric"}
    load_ms = (time.perf_counter_ns() - start) / 1e6

    numeric = [f for f in features if f["type"] == "numeric"]
    categorical = [f for f in features if f["type"] == "categorical"]
    result = {
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
        "python": sys.version.split()[0],
        "rows": int(len(next(iter(data.values())))),
        "loadMs": load_ms,
        "samples": {},
    }
    # The numeric path does not depend on the categorical counter.
    _, result["samples"]["psi_numeric"] = timed(
        lambda: psi_all(numeric, data, eps, categorical_counts_eq), warmup, repeats
    )
    for name, counter in (("psi_unique", categorical_counts_unique), ("psi_eq", categorical_counts_eq)):
        values, timing = timed(lambda: psi_all(features, data, eps, counter), warmup, repeats)
        result[name] = values
        result["samples"][name] = timing
        _, result["samples"][f"{name}_categorical"] = timed(
            lambda: psi_all(categorical, data, eps, counter), warmup, repeats
        )
    result["ks"], result["samples"]["ks"] = timed(
        lambda: ks_all(features, data, reference), min(warmup, 1), manifest["ksRepeats"]
    )
    result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
