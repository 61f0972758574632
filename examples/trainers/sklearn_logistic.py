#!/usr/bin/env python3
"""Example external trainer for the `command` trainer: scikit-learn logistic regression exported with skl2onnx.

Protocol (see lib/train/command-trainer.ts):
  * `$MLOPS_TRAINER_INPUT` names a JSON file with the features, label, hyperparameters, seed, the training (and
    optional validation) table as CSV and the path where the ONNX model must be written.
  * Progress: one JSON line per epoch on stdout, `{"epoch": 1, "epochs": 30, "loss": 0.5, "valLoss": 0.52}`,
    and a final `{"metrics": {...}}` line. Other stdout lines are ignored; diagnostics go to stderr.
  * Exit status 0 on success; anything else fails the training run.
  * Checkpoints: after each epoch the fitted preprocessing and SGDClassifier (coefficients, intercept, step count
    `t_`) are pickled to `checkpointDir/epoch-<n>.pkl` (written under a temporary name, then renamed), and only then
    announced with `{"checkpoint": {"epoch": n, "path": "epoch-<n>.pkl"}}`. With `resumeFrom` (a restored
    checkpoint of an earlier attempt) training continues with epoch `resumeEpoch + 1`. SGDClassifier reseeds its
    shuffling from `random_state` on every `partial_fit`, so a resumed run yields the same model (and ONNX bytes) as
    an uninterrupted one.

Model: a ColumnTransformer (numeric: SimpleImputer(mean) + StandardScaler; categorical: OneHotEncoder with
handle_unknown='ignore', the empty string standing for a missing value) followed by an SGDClassifier with log
loss (hyperparameters: `epochs` passes of `partial_fit`, `l2` as alpha, `learningRate` as a constant eta0;
`batchSize` is not used: SGDClassifier updates per row). Usage in a spec's command trainer config:
`argv: [python3, examples/trainers/sklearn_logistic.py]`, with PYTHONPATH pointing at .tools/python.
The ONNX graph has one input per feature named like it (numeric float[N,1], categorical string[N,1]) and the
outputs of the binary contract: `probability` float[N,1] (positive class) and `label` int64[N].

Options: `--dump-probabilities PATH` writes scikit-learn's own positive-class probabilities for the validation
table (or the training table) as JSON, so tests can compare them with the ONNX model's scores.

Requirements: numpy, scikit-learn, skl2onnx, onnx (installed into .tools/python by `npm run provision`);
onnxruntime is optional (when importable, the exported model is checked against scikit-learn before exit).
"""

import argparse
import csv
import json
import math
import os
import pickle
import sys

import numpy as np


def log(message):
    print(f"[sklearn_logistic] {message}", file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def read_csv(path, features, label_name, positive):
    """Rows with a label as (columns dict, y); numeric '' -> NaN, categorical missing -> ''."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [r for r in reader if (r.get(label_name) or "") != ""]
    columns = {}
    for f in features:
        values = [r.get(f["name"]) or "" for r in rows]
        if f["type"] == "numeric":
            columns[f["name"]] = np.array([float(v) if v != "" else math.nan for v in values], dtype=np.float64)
        else:
            columns[f["name"]] = np.array(values, dtype=object)
    y = np.array([1 if r[label_name] == positive else 0 for r in rows], dtype=np.int64)
    return columns, y


def design(columns, features):
    """An object matrix with one column per feature, in feature order (ColumnTransformer selects by index)."""
    n = len(next(iter(columns.values())))
    x = np.empty((n, len(features)), dtype=object)
    for j, f in enumerate(features):
        x[:, j] = columns[f["name"]]
    return x


def build_preprocessor(features):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [j for j, f in enumerate(features) if f["type"] == "numeric"]
    categorical = [j for j, f in enumerate(features) if f["type"] == "categorical"]
    transformers = []
    if numeric:
        steps = [("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())]
        transformers.append(("numeric", Pipeline(steps), numeric))
    if categorical:
        onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", onehot, categorical))
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def log_loss(clf, x, y):
    from sklearn.metrics import log_loss as sk_log_loss

    return float(sk_log_loss(y, clf.predict_proba(x)[:, 1], labels=[0, 1]))


def to_onnx(pipeline, features):
    """Converts the fitted pipeline and rewires its outputs to the binary contract."""
    import onnx
    from onnx import TensorProto, helper
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial_types = [
        (f["name"], FloatTensorType([None, 1]) if f["type"] == "numeric" else StringTensorType([None, 1]))
        for f in features
    ]
    model = convert_sklearn(
        pipeline,
        name="mlops_sklearn_logistic",  # skl2onnx would name the graph with a random UUID: bytes would differ per run
        initial_types=initial_types,
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    graph = model.graph
    outputs = {o.name: o for o in graph.output}
    if "probabilities" not in outputs or "label" not in outputs:
        raise RuntimeError(f"unexpected skl2onnx outputs {sorted(outputs)}")
    # probability = probabilities[:, 1:2] (classes are [0, 1], so column 1 is the positive class).
    consts = {
        "mlops_slice_starts": [1],
        "mlops_slice_ends": [2],
        "mlops_slice_axes": [1],
    }
    for name, value in consts.items():
        graph.initializer.append(helper.make_tensor(name, TensorProto.INT64, [1], value))
    graph.node.append(
        helper.make_node(
            "Slice",
            ["probabilities", "mlops_slice_starts", "mlops_slice_ends", "mlops_slice_axes"],
            ["probability"],
            name="mlops_positive_probability",
        )
    )
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
        ]
    )
    onnx.checker.check_model(model)
    return model


def self_check(path, columns, features, expected):
    """Scores `columns` with onnxruntime when it is installed and compares with scikit-learn."""
    try:
        import onnxruntime as ort
    except ImportError:
        return
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {}
    for f in features:
        values = columns[f["name"]].reshape(-1, 1)
        feeds[f["name"]] = values.astype(np.float32) if f["type"] == "numeric" else values.astype(str)
    probability = session.run(["probability"], feeds)[0][:, 0]
    worst = float(np.max(np.abs(probability - expected))) if len(expected) else 0.0
    if worst > 1e-4:
        raise RuntimeError(f"ONNX probabilities differ from scikit-learn by up to {worst}")
    log(f"onnxruntime self-check passed (max difference {worst:.2e})")


def save_checkpoint(directory, epoch, state):
    """Pickles `state` completely, then announces it (an unannounced, partial file is never used)."""
    name = f"epoch-{epoch}.pkl"
    partial = os.path.join(directory, f".{name}.partial")
    with open(partial, "wb") as handle:
        pickle.dump(state, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, os.path.join(directory, name))
    emit({"checkpoint": {"epoch": epoch, "path": name}})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump-probabilities", help="write scikit-learn's probabilities as JSON to this path")
    args = parser.parse_args()

    input_path = os.environ.get("MLOPS_TRAINER_INPUT")
    if not input_path:
        log("MLOPS_TRAINER_INPUT is not set")
        return 2
    with open(input_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    features = spec["features"]
    label = spec["label"]
    hp = spec["hyperparameters"]
    seed = int(spec["seed"])
    if label["task"] != "binary":
        log(f"only binary labels are supported, not {label['task']}")
        return 2

    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import Pipeline

    train_cols, y = read_csv(spec["train"]["path"], features, label["name"], label["positive"])
    if len(set(y.tolist())) < 2:
        log("the training table needs both classes")
        return 2
    validation = spec.get("validation")
    val_cols, val_y = (
        read_csv(validation["path"], features, label["name"], label["positive"]) if validation else (None, None)
    )
    epochs = int(hp["epochs"])
    checkpoint_dir = spec.get("checkpointDir")
    resume_from = spec.get("resumeFrom")
    start = 1
    if resume_from:
        with open(resume_from, "rb") as handle:
            state = pickle.load(handle)
        pre, clf = state["pre"], state["clf"]
        start = int(spec.get("resumeEpoch") or state["epoch"]) + 1
        log(f"resuming from {resume_from} at epoch {start}")
        x = pre.transform(design(train_cols, features))
    else:
        pre = build_preprocessor(features)
        x = pre.fit_transform(design(train_cols, features))
        clf = SGDClassifier(
            loss="log_loss",
            penalty="l2",
            alpha=float(hp["l2"]),
            learning_rate="constant",
            eta0=float(hp["learningRate"]),
            random_state=seed,
        )
    val_x = pre.transform(design(val_cols, features)) if val_cols is not None else None
    train_loss, val_loss = math.nan, None
    if start > 1:
        train_loss = log_loss(clf, x, y)
        val_loss = log_loss(clf, val_x, val_y) if val_x is not None and len(val_y) else None
    for epoch in range(start, epochs + 1):
        clf.partial_fit(x, y, classes=np.array([0, 1]))
        train_loss = log_loss(clf, x, y)
        progress = {"epoch": epoch, "epochs": epochs, "loss": train_loss}
        if val_x is not None and len(val_y):
            val_loss = log_loss(clf, val_x, val_y)
            progress["valLoss"] = val_loss
        emit(progress)
        if checkpoint_dir:
            save_checkpoint(checkpoint_dir, epoch, {"epoch": epoch, "pre": pre, "clf": clf})

    pipeline = Pipeline([("pre", pre), ("clf", clf)])
    model = to_onnx(pipeline, features)
    output = spec["output"]["model"]
    with open(output, "wb") as handle:
        handle.write(model.SerializeToString())

    check_cols = val_cols if val_cols is not None and len(val_y) else train_cols
    expected = pipeline.predict_proba(design(check_cols, features))[:, 1]
    if args.dump_probabilities:
        with open(args.dump_probabilities, "w", encoding="utf-8") as handle:
            json.dump([float(p) for p in expected], handle)
    self_check(output, check_cols, features, expected)

    metrics = {"train_log_loss": train_loss, "train_rows": int(len(y)), "train_positive_rate": float(y.mean())}
    if val_loss is not None:
        metrics["val_log_loss"] = val_loss
    emit({"metrics": metrics})
    return 0


if __name__ == "__main__":
    sys.exit(main())
