"""Anchor of bench/drift-scale.ts: dataset drift computed the way Evidently computes it, on the same data.

Numeric columns: scipy.stats.wasserstein_distance(reference, current) / max(std(reference), 0.001), NaN dropped
(Evidently's "wasserstein" stattest, its default for a reference over 1000 rows). Categorical columns: value
counts of both sides over the union of their values, then scipy's jensenshannon on the shares (Evidently's
"jensenshannon" stattest), with pandas value_counts (faster than Evidently's own set() of the raw values).
The raw reference is an input every time: that path has no stored profile.
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
    "scores": scores,
    "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
