"""scikit-learn anchor of bench/train-logistic.ts (run by it; not part of the project's runtime).

Usage: python3 bench/train_anchor.py MANIFEST.json  -> prints one JSON object on stdout.

The manifest (written by bench/train-logistic.ts) names .npy files: `x` (rows x features float64, C order), `y`
(0/1 int8), the number of training rows (the first `trainRows` rows; the rest is the held-out validation split)
and, when ours has already been fitted this round, `oursValLogits` (float64 logits of our model on the validation
rows) so both models' validation log loss is computed here with the same formula.

Timed, `repeats` times, wall (perf_counter) and CPU (process_time) time (loading the files is timed separately):
  scale   StandardScaler().fit(X_train) + transform(X_train)  (the standardisation our trainer does itself)
  sgd     SGDClassifier(loss="log_loss", penalty="l2", alpha=l2, learning_rate="constant",
          eta0=learningRate / batchSize, max_iter=epochs, tol=None, shuffle=True).fit(X_train_scaled, y_train)
  fit     scale + sgd (what is compared with our trainer's train() call)
With `defaultSchedule`, one more (once) SGD fit with sklearn's default learning_rate="optimal" (for reference).

Validation log loss: mean(logaddexp(0, z) - y * z) of the decision function z on the scaled validation rows (the
same stable formula lib/train uses), plus sklearn.metrics.log_loss on predict_proba as a cross-check.
"""

import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler


def logit_log_loss(z, y):
    z = np.asarray(z, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def ms_since(start):
    return (time.perf_counter_ns() - start) / 1e6


def cpu_ms_since(start):
    return (time.process_time_ns() - start) / 1e6


def fit(x_train, y_train, h, seed, schedule):
    start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
    scaler = StandardScaler()
    xs = scaler.fit_transform(x_train)
    scale_ms, scale_cpu_ms = ms_since(start), cpu_ms_since(cpu_start)
    kwargs = (
        {"learning_rate": "constant", "eta0": h["learningRate"] / h["batchSize"]}
        if schedule == "constant"
        else {"learning_rate": "optimal"}
    )
    clf = SGDClassifier(
        loss="log_loss",
        penalty="l2",
        alpha=h["l2"],
        fit_intercept=True,
        max_iter=h["epochs"],
        tol=None,
        shuffle=True,
        random_state=seed,
        average=False,
        **kwargs,
    )
    start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
    clf.fit(xs, y_train)
    sgd_ms, sgd_cpu_ms = ms_since(start), cpu_ms_since(cpu_start)
    return scaler, clf, {"scale": scale_ms, "sgd": sgd_ms, "scaleCpu": scale_cpu_ms, "sgdCpu": sgd_cpu_ms}


def evaluate(scaler, clf, x_val, y_val):
    xs = scaler.transform(x_val)
    z = clf.decision_function(xs)
    proba = clf.predict_proba(xs)[:, 1]
    return {
        "valLogLoss": logit_log_loss(z, y_val),
        "valLogLossSklearn": float(log_loss(y_val, proba, labels=[0, 1])),
        "nIter": int(clf.n_iter_),
        "tUpdates": int(clf.t_),
        # Coefficients in standardised units (comparable with our trainer's weights).
        "coef": clf.coef_[0].tolist(),
        "intercept": float(clf.intercept_[0]),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        manifest = json.load(fh)
    h = manifest["hyperparameters"]
    n_train = manifest["trainRows"]

    start = time.perf_counter_ns()
    x = np.load(manifest["x"])
    y = np.load(manifest["y"]).astype(np.float64)
    load_ms = ms_since(start)
    x_train, y_train = x[:n_train], y[:n_train]
    x_val, y_val = x[n_train:], y[n_train:]

    result = {
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "python": sys.version.split()[0],
        "rows": int(x.shape[0]),
        "features": int(x.shape[1]),
        "loadMs": load_ms,
        "samples": {"scale": [], "sgd": [], "fit": [], "scaleCpu": [], "sgdCpu": [], "fitCpu": []},
    }
    last = None
    for r in range(manifest["repeats"]):
        scaler, clf, t = fit(x_train, y_train, h, manifest["seed"] + r, "constant")
        for key in ("scale", "sgd", "scaleCpu", "sgdCpu"):
            result["samples"][key].append(t[key])
        result["samples"]["fit"].append(t["scale"] + t["sgd"])
        result["samples"]["fitCpu"].append(t["scaleCpu"] + t["sgdCpu"])
        last = (scaler, clf)
    result["constant"] = evaluate(*last, x_val, y_val)

    if manifest.get("defaultSchedule"):
        scaler, clf, t = fit(x_train, y_train, h, manifest["seed"], "optimal")
        result["optimal"] = {**evaluate(scaler, clf, x_val, y_val), "fitMs": t["scale"] + t["sgd"], "sgdMs": t["sgd"]}

    ours = manifest.get("oursValLogits")
    if ours:
        result["oursValLogLoss"] = logit_log_loss(np.load(ours), y_val)

    result["peakRssMiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
