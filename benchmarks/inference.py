"""Inference: 1-row latency and 10^4 / 10^6-row throughput, and compression.

Contenders, in one process and in turns: scikit-learn's ``predict``,
sknet's NumPy ``predict``, onnxruntime (CPU) with sknet's graph in float32,
float16 and int8 (``sknet.onnx.to_onnx(..., compress=...)`` run through
``sknet.onnx.OnnxPredictor``), the same float32 graph through a bare
``InferenceSession.run`` (to show the wrapper's own cost), and onnxruntime
with skl2onnx's graph of the equivalent scikit-learn model (the same
weights copied into a fitted ``sklearn.neural_network.MLPClassifier``).
Whatever is not installed or not built yet is skipped and listed.
"""

from __future__ import annotations

import numpy as np

from . import _contenders as C
from ._harness import alternate, log, markdown_table, repeat_min_per_call, timed

FEATURES, CLASSES, HIDDEN, DTYPE = 100, 10, (256, 128), "float32"

LABELS = {
    "sklearn": "scikit-learn predict",
    "sknet": "sknet predict (NumPy)",
    "ort-f32": "onnxruntime, sknet graph float32",
    "ort-f32-raw": "onnxruntime, sknet graph float32, bare session.run",
    "ort-f16": "onnxruntime, sknet graph float16",
    "ort-int8": "onnxruntime, sknet graph int8",
    "ort-skl2onnx": "onnxruntime, skl2onnx graph of the sklearn model",
}


def plan(quick: bool) -> dict:
    if quick:
        return dict(
            train_rows=2_000, hidden=(16,), sizes=[1, 1_000], repeats=2, epochs=2, loop_seconds=0.01
        )
    return dict(
        train_rows=15_000,
        hidden=HIDDEN,
        sizes=[1, 10_000, 1_000_000],
        repeats=3,
        epochs=5,
        loop_seconds=0.2,
    )


def build_models(p: dict, threads: int, progress=log):
    """Fit one sknet model, copy its weights into sklearn, export the graphs."""
    Xtr, ytr, Xte, yte = C.train_test(
        p["train_rows"], p["train_rows"] // 3, FEATURES, CLASSES, DTYPE
    )
    params = dict(
        hidden_layer_sizes=p["hidden"],
        solver="adam",
        max_iter=p["epochs"],
        learning_rate_init=1e-3,
        random_state=0,
        tol=0.0,
        n_iter_no_change=p["epochs"] + 1,
    )
    sknet_model = C.quiet_fit(C.make_mlp("sknet", "classification", params, DTYPE), Xtr, ytr)
    sk = C.quiet_fit(
        C.make_mlp("sklearn", "classification", {**params, "max_iter": 1}, DTYPE), Xtr, ytr
    )
    sk.coefs_ = [np.array(w, dtype=DTYPE) for w in sknet_model.coefs_]
    sk.intercepts_ = [np.array(b, dtype=DTYPE) for b in sknet_model.intercepts_]

    predictors, skipped, graphs = {"sklearn": sk.predict, "sknet": sknet_model.predict}, {}, {}
    try:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    except ImportError as exc:
        skipped["onnxruntime"] = str(exc)
        return predictors, skipped, graphs, (Xte, yte)

    try:
        from sknet.onnx import OnnxPredictor, to_onnx
    except Exception as exc:
        skipped["sknet graphs"] = f"sknet.onnx not importable: {exc}"
        OnnxPredictor = to_onnx = None

    if to_onnx is not None:
        for name, compress in (("ort-f32", None), ("ort-f16", "float16"), ("ort-int8", "int8")):
            try:
                graph = to_onnx(sknet_model, Xtr[:1], compress=compress)
                predictors[name] = OnnxPredictor(
                    graph, ["CPUExecutionProvider"], session_options=options
                ).predict
                graphs[name] = graph
            except Exception as exc:
                skipped[name] = f"{type(exc).__name__}: {exc}"
        if "ort-f32" in graphs:
            session = ort.InferenceSession(
                graphs["ort-f32"].SerializeToString(), options, providers=["CPUExecutionProvider"]
            )
            in_name, out_name = session.get_inputs()[0].name, session.get_outputs()[0].name
            predictors["ort-f32-raw"] = lambda X: session.run([out_name], {in_name: X})[0]
    try:
        import skl2onnx

        graph = skl2onnx.to_onnx(sk, Xtr[:1], options={id(sk): {"zipmap": False}})
        graphs["ort-skl2onnx"] = graph
        if OnnxPredictor is not None:
            predictors["ort-skl2onnx"] = OnnxPredictor(
                graph, ["CPUExecutionProvider"], session_options=options
            ).predict
        else:
            session2 = ort.InferenceSession(
                graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
            )
            in2 = session2.get_inputs()[0].name
            predictors["ort-skl2onnx"] = lambda X: session2.run(["label"], {in2: X})[0]
    except Exception as exc:
        skipped["ort-skl2onnx"] = f"{type(exc).__name__}: {exc}"
    for name, why in skipped.items():
        progress(f"  inference: skipped {name}: {why}")
    return predictors, skipped, graphs, (Xte, yte)


def run(quick: bool, threads: int, progress=log) -> dict:
    p = plan(quick)
    progress("inference: fitting and exporting ...")
    predictors, skipped, graphs, (Xte, yte) = build_models(p, threads, progress)
    rng = np.random.default_rng(1)
    speed = {}
    for n_rows in p["sizes"]:
        progress(f"inference: {n_rows:,} rows ...")
        X = rng.standard_normal((n_rows, FEATURES), dtype=np.float32)

        def timer(predict, X=X, n_rows=n_rows):
            if n_rows <= 100_000:
                return lambda: repeat_min_per_call(lambda: predict(X), p["loop_seconds"])
            return lambda: timed(lambda: predict(X))[0]

        repeats = p["repeats"] if n_rows <= 100_000 else max(2, p["repeats"] - 1)
        timings = alternate(
            {k: timer(f) for k, f in predictors.items()}, repeats, warmup=True, progress=progress
        )
        speed[n_rows] = {
            "seconds": {k: timings.median(k) for k in timings.rounds},
            "vs_sklearn": {k: timings.ratio("sklearn", k) for k in timings.rounds},
            "vs_sknet": {k: timings.ratio("sknet", k) for k in timings.rounds},
        }
        del X
    return {
        "speed": speed,
        "compression": compression(predictors, graphs, Xte, yte),
        "skipped": skipped,
        "hidden": list(p["hidden"]),
        "features": FEATURES,
        "classes": CLASSES,
    }


def compression(predictors, graphs, X, y) -> list[dict]:
    """Model size and accuracy of each exported graph, next to the NumPy model."""
    reference = predictors["sknet"](X)
    rows = []
    for name in ("sknet", "ort-f32", "ort-f16", "ort-int8", "ort-skl2onnx"):
        if name not in predictors:
            continue
        pred = predictors[name](X)
        rows.append(
            {
                "name": name,
                "bytes": len(graphs[name].SerializeToString()) if name in graphs else None,
                "accuracy": float(np.mean(pred == y)),
                "agreement": float(np.mean(pred == reference)),
            }
        )
    base = rows[0]["accuracy"]
    for row in rows:
        row["accuracy_change"] = row["accuracy"] - base
    return rows


# --------------------------------------------------------------------------
# report


def speed_table(result: dict) -> str:
    sizes = sorted(result["speed"])
    header = ["contender"]
    for n in sizes:
        header += ["1-row latency µs"] if n == 1 else [f"{n:,} rows: rows/s"]
    header += [f"sklearn ÷ it ({'1 row' if n == 1 else f'{n:,}'})" for n in sizes]
    header += [f"sknet ÷ it ({n:,} rows)" for n in sizes if n > 1]
    names = [k for k in LABELS if k in result["speed"][sizes[0]]["seconds"]]
    rows = []
    for name in names:
        row = [LABELS[name]]
        for n in sizes:
            s = result["speed"][n]["seconds"].get(name)
            row.append(None if s is None else (1e6 * s if n == 1 else n / s))
        row += [result["speed"][n]["vs_sklearn"].get(name) for n in sizes]
        row += [result["speed"][n]["vs_sknet"].get(name) for n in sizes if n > 1]
        rows.append(row)
    return markdown_table(header, rows)


def compression_table(result: dict) -> str:
    header = [
        "model",
        "ONNX size (KiB)",
        "test accuracy",
        "change vs sknet NumPy",
        "predictions equal to sknet's",
    ]
    rows = [
        [
            LABELS[r["name"]],
            None if r["bytes"] is None else r["bytes"] / 1024,
            r["accuracy"],
            f"{r['accuracy_change']:+.4f}",
            r["agreement"],
        ]
        for r in result["compression"]
    ]
    return markdown_table(header, rows)


def plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(result["speed"])
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4.5))
    axes = np.atleast_1d(axes)
    for ax, n in zip(axes, sizes):
        seconds = result["speed"][n]["seconds"]
        names = [k for k in LABELS if k in seconds]
        values = [1e6 * seconds[k] if n == 1 else n / seconds[k] for k in names]
        bars = ax.barh([LABELS[k].replace(", ", ",\n") for k in names], values)
        ax.bar_label(bars, [f"{v:,.0f}" for v in values], fontsize=7, padding=2)
        ax.set_xlim(0, 1.2 * max(values))
        ax.invert_yaxis()
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(
            "1-row latency (µs, lower is better)"
            if n == 1
            else f"{n:,} rows: rows/s (higher is better)",
            fontsize=9,
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
