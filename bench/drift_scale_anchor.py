"""Anchor of bench/drift-scale.ts: dataset drift computed the way Evidently computes it, on the same data.

Numeric columns: scipy.stats.wasserstein_distance(reference, current) / max(std(reference), 0.001), NaN dropped
(Evidently's "wasserstein" stattest, its default for a reference over 1000 rows). Categorical columns: value
counts of both sides over the union of their values, then scipy's jensenshannon on the shares (Evidently's
"jensenshannon" stattest), with pandas value_counts (faster than Evidently's own set() of the raw values).
The raw reference is an input every time: that path has no stored profile.
Also times the reference profile computed with numpy/pandas the way lib/data/profile.ts computes it (per numeric
column: NaN dropped, one sort, count/min/max/mean/std, 7 quantiles, decile histogram, distinct count, the 1024-cell
grid and the 1000-value sample; per categorical column: value counts, top 100 and the rest pooled, missing).
Prints one JSON object: timings (ms per whole computation), the scores, versions and peak RSS.
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

manifest = json.load(open(sys.argv[1]))
numeric = [(c["name"], np.load(c["reference"]), np.load(c["current"])) for c in manifest["numeric"]]
categorical = []
for c in manifest["categorical"]:
    labels = np.array(c["dictionary"] + [None], dtype=object)
    ref, cur = np.load(c["reference"]), np.load(c["current"])
    # codes -> object strings (missing as None), as a DataFrame column of strings would hold them
    categorical.append((c["name"], pd.Series(labels[ref]), pd.Series(labels[cur])))


def drift():
    scores = {}
    for name, ref, cur in numeric:
        r = ref[~np.isnan(ref)]
        c = cur[~np.isnan(cur)]
        scores[name] = float(wasserstein_distance(r, c) / max(np.std(r), 0.001))
    for name, ref, cur in categorical:
        r = ref.dropna().value_counts()
        c = cur.dropna().value_counts()
        keys = r.index.union(c.index)
        p = r.reindex(keys, fill_value=0).to_numpy(float)
        q = c.reindex(keys, fill_value=0).to_numpy(float)
        scores[name] = float(jensenshannon(p / p.sum(), q / q.sum()))
    return scores


QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]


def profile():
    out = {}
    for name, ref, _ in numeric:
        s = np.sort(ref[~np.isnan(ref)])
        n = s.size
        q = np.quantile(s, QUANTILES)
        edges = np.unique(np.quantile(s, np.arange(1, 10) / 10))
        hist = np.histogram(s, bins=np.concatenate(([s[0]], edges, [s[-1]])))[0]
        distinct = int(np.count_nonzero(np.diff(s))) + 1
        grid = np.histogram(s, bins=1024, range=(s[0], s[-1]))[0]
        sample = s[((np.arange(1000) + 0.5) * n / 1000).astype(np.int64)]
        out[name] = (n, ref.size - n, s[0], s[-1], s.mean(), s.std(), q, hist, distinct, grid, sample)
    for name, ref, _ in categorical:
        counts = ref.value_counts()
        out[name] = (counts.iloc[:100], counts.iloc[100:].sum(), int(ref.isna().sum()))
    return out


profile_samples = []
for _ in range(manifest["repeats"]):
    start = time.perf_counter()
    profile()
    profile_samples.append((time.perf_counter() - start) * 1000)

for _ in range(manifest["warmup"]):
    drift()
samples = []
for _ in range(manifest["repeats"]):
    start = time.perf_counter()
    scores = drift()
    samples.append((time.perf_counter() - start) * 1000)

print(json.dumps({
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "pandas": pd.__version__,
    "samples": samples,
    "profileSamples": profile_samples,
    "scores": scores,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
