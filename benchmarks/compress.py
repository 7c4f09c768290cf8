"""Smaller networks (issue 15): pruning and distillation, alone and with int8.

    python -m benchmarks.compress            # digits + 60,000-row synthetic -> results/compress/
    python -m benchmarks.compress --quick    # smoke run (seconds) -> results/compress/quick/

For each task: the original network, pruned by 50% and 75% of every hidden
layer (``sknet.compress.prune``, fine-tuned), and distilled from it into a
network of a quarter of its widths (``sknet.compress.distill``), each
exported with ``sknet.onnx.to_onnx`` in float32 and int8. Then a
``HistGradientBoostingClassifier`` distilled into the quarter-width network.
Measured in onnxruntime on the CPU (one thread, BLAS and OpenMP pinned to
one thread too): parameters, ONNX bytes, one-row latency and time per
10,000 held-out rows (medians over rounds, contenders in turns), and
held-out accuracy / macro F1 from the ONNX outputs.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: python benchmarks/compress.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from . import _contenders as C
from . import compress_report
from ._harness import (
    RESULTS_DIR,
    alternate,
    log,
    machine_info,
    pinned_threads,
    repeat_min_per_call,
    write_json,
)

VARIANTS = ("original", "pruned 50%", "pruned 75%", "distilled 1/4")


def plan(quick: bool) -> dict:
    if quick:
        return dict(
            hidden=(32, 16),
            epochs=15,
            fine_tune=5,
            synthetic=(1_000, 500, 10),
            hgb_iter=5,
            batch_rows=1_000,
            repeats=1,
            loop_seconds=0.01,
        )
    return dict(
        hidden=(256, 128),
        epochs=200,
        fine_tune=30,
        synthetic=(50_000, 10_000, 100),
        hgb_iter=100,
        batch_rows=10_000,
        repeats=7,
        loop_seconds=0.2,
    )


def tasks(p: dict) -> dict:
    """``name -> (X_train, y_train, X_test, y_test)`` in float32."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    digits = train_test_split(X.astype(np.float32), y, test_size=0.3, random_state=0, stratify=y)
    n_train, n_test, n_features = p["synthetic"]
    Xtr, ytr, Xte, yte = C.train_test(n_train, n_test, n_features, 10, "float32", seed=0)
    synthetic = (Xtr, Xte, ytr, yte)
    return {
        "digits": [digits[i] for i in (0, 2, 1, 3)],
        f"synthetic {n_train + n_test:,} x {n_features}": [synthetic[i] for i in (0, 2, 1, 3)],
    }


def network(hidden, epochs):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknet import MLPClassifier

    mlp = MLPClassifier(hidden, max_iter=epochs, random_state=0)
    return make_pipeline(StandardScaler(), mlp)


def build(Xtr, ytr, p: dict, progress=log) -> dict:
    """The four fitted pipelines of one task, by variant."""
    from sknet.compress import distill, prune

    quarter = tuple(max(1, h // 4) for h in p["hidden"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        progress("  original ...")
        original = network(p["hidden"], p["epochs"]).fit(Xtr, ytr)
        models = {"original": original}
        for amount in (0.5, 0.75):
            progress(f"  prune {amount:.0%} ...")
            models[f"pruned {amount:.0%}"] = prune(
                original, Xtr, ytr, amount=amount, fine_tune_iter=p["fine_tune"]
            )
        progress(f"  distill into {quarter} ...")
        student = network(quarter, p["epochs"])
        models["distilled 1/4"] = distill(original, Xtr, student=student, temperature=2.0)
    return models


def parameters(model) -> int:
    net = model[-1] if hasattr(model, "steps") else model
    return int(sum(W.size for W in net.coefs_) + sum(b.size for b in net.intercepts_))


def sessions(models: dict, X1, threads: int) -> tuple[dict, dict]:
    """onnxruntime sessions of each model in float32 and int8, and the file sizes."""
    import onnxruntime as ort

    from sknet.onnx import to_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    runs, sizes = {}, {}
    for name, model in models.items():
        for compress in (None, "int8"):
            key = f"{name}, {compress or 'float32'}"
            onx = to_onnx(model, X1, compress=compress)
            runs[key] = _session(onx.SerializeToString(), options)
            sizes[key] = len(onx.SerializeToString())
    return runs, sizes


def _session(serialized: bytes, options):
    import onnxruntime as ort

    session = ort.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda X: session.run(None, {name: X})


def measure(runs: dict, Xte, yte, p: dict, progress=log) -> dict:
    """Latency (median over rounds), accuracy and macro F1 of each session."""
    from sklearn.metrics import accuracy_score, f1_score

    row = _timings(runs, Xte[:1], p, progress)
    batch = _timings(runs, np.resize(Xte, (p["batch_rows"], Xte.shape[1])), p, progress)
    first = next(iter(runs))
    out = {}
    for key, run in runs.items():
        labels = np.asarray(run(Xte)[0]).ravel()
        out[key] = dict(
            us_1row=row.median(key) * 1e6,
            ms_batch=batch.median(key) * 1e3,
            batch_speedup=batch.ratio(first, key),
            row_speedup=row.ratio(first, key),
            spread_batch=batch.spread(key),
            accuracy=float(accuracy_score(yte, labels)),
            macro_f1=float(f1_score(yte, labels, average="macro")),
            labels=labels,
        )
    return out


def _timings(runs: dict, X, p: dict, progress=log):
    """Seconds per call on ``X`` of every run, in turns (X: held-out rows, repeated if few)."""
    progress(f"  timing {len(X):,} row{'s' if len(X) > 1 else ''} ...")
    contenders = {
        k: (lambda f=f: repeat_min_per_call(lambda: f(X), p["loop_seconds"]))
        for k, f in runs.items()
    }
    return alternate(contenders, p["repeats"], warmup=p["repeats"] > 1, progress=progress)


def run_task(name, data, p, threads, progress=log) -> dict:
    Xtr, ytr, Xte, yte = data
    progress(f"{name}: fitting ...")
    models = build(Xtr, ytr, p, progress)
    runs, sizes = sessions(models, Xtr[:1], threads)
    figures = measure(runs, Xte, yte, p, progress)
    rows = []
    for key, f in figures.items():
        variant = key.rsplit(", ", 1)[0]
        f.pop("labels")
        rows.append(
            dict(model=key, parameters=parameters(models[variant]), onnx_bytes=sizes[key], **f)
        )
    hidden = {v: list(models[v][-1].hidden_layer_sizes) for v in models}
    hgb = distill_boosting(Xtr, ytr, Xte, yte, p, threads, progress)
    return dict(
        task=name,
        n_train=len(Xtr),
        n_test=len(Xte),
        batch_rows=p["batch_rows"],
        rows=rows,
        hidden=hidden,
        hgb=hgb,
    )


def distill_boosting(Xtr, ytr, Xte, yte, p, threads, progress=log) -> dict:
    """A HistGradientBoostingClassifier and the quarter-width network distilled from it."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sknet.compress import distill

    progress("  gradient boosting, then its student ...")
    quarter = tuple(max(1, h // 4) for h in p["hidden"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hgb = HistGradientBoostingClassifier(max_iter=p["hgb_iter"], random_state=0)
        hgb.fit(Xtr, ytr)
        student = distill(hgb, Xtr, student=network(quarter, p["epochs"]), temperature=2.0)
    runs, sizes = sessions({"student": student}, Xtr[:1], threads)
    tree_onnx, why = boosting_onnx(hgb, Xtr[:1])
    if tree_onnx is not None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        runs = {"gradient boosting": _session(tree_onnx, options), **runs}
        sizes["gradient boosting"] = len(tree_onnx)
    figures = measure(runs, Xte, yte, p, progress)
    teacher_labels = hgb.predict(Xte)
    rows = []
    for key, f in figures.items():
        agreement = float(np.mean(f.pop("labels") == teacher_labels))
        rows.append(dict(model=key, onnx_bytes=sizes[key], agreement=agreement, **f))
    return dict(
        rows=rows,
        onnx_note=why,
        teacher_accuracy_sklearn=float(hgb.score(Xte, yte)),
        student_parameters=parameters(student),
        trees=int(hgb.n_iter_ * hgb.n_trees_per_iteration_),
    )


def boosting_onnx(model, X1):
    """skl2onnx's graph of a HistGradientBoostingClassifier, and a note on how.

    skl2onnx 1.20 (the latest) passes a Python bool for the
    ``nodes_missing_value_tracks_true`` attribute of leaves, which onnx >= 1.19
    refuses ("Expected an int, got a boolean"). If the plain conversion
    fails so, the attribute is cast to int around the call (the same value)
    and the note says so; the graph is then checked against predict_proba.
    """
    import skl2onnx
    from skl2onnx.common import tree_ensemble

    def convert():
        return skl2onnx.to_onnx(model, X1, options={id(model): {"zipmap": False}})

    try:
        return convert().SerializeToString(), "skl2onnx converted it as is."
    except ValueError as error:
        if "Expected an int, got a boolean" not in str(error.__cause__ or error):
            return None, f"skl2onnx failed: {type(error).__name__}: {str(error)[:200]}"
    original = tree_ensemble.add_node

    def add_node(*args, nodes_missing_value_tracks_true=0, **kwargs):
        missing = int(nodes_missing_value_tracks_true)
        return original(*args, nodes_missing_value_tracks_true=missing, **kwargs)

    tree_ensemble.add_node = add_node
    try:
        serialized = convert().SerializeToString()
    finally:
        tree_ensemble.add_node = original
    return serialized, (
        "skl2onnx 1.20 fails on it with onnx 1.23 (a bool where onnx wants an int, in "
        "nodes_missing_value_tracks_true); converted with that attribute cast to int."
    )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a smoke test")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP/onnxruntime threads")
    parser.add_argument("--repeats", type=int, default=None, help="timing rounds (default 7)")
    parser.add_argument("--out", type=Path, default=None, help="output folder")
    args = parser.parse_args(argv)
    p = plan(args.quick)
    if args.repeats:
        p["repeats"] = args.repeats
    out = args.out or RESULTS_DIR / "compress" / ("quick" if args.quick else "")
    load_before = os.getloadavg()
    with pinned_threads(args.threads):
        machine = machine_info(args.threads)
        results = [run_task(n, d, p, args.threads) for n, d in tasks(p).items()]
    machine["load_average"] = {"start": load_before, "end": os.getloadavg()}
    report = dict(
        plan=p,
        tasks=results,
        command=" ".join(["python -m benchmarks.compress", *(argv or sys.argv[1:])]),
    )
    write_json(out / "results.json", report)
    write_json(out / "machine.json", machine)
    compress_report.write(report, machine, out)
    log(f"wrote {out}")
    return report


if __name__ == "__main__":
    main()
