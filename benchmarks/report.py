"""``results.md`` and the PNG plots, from the results of :mod:`benchmarks.run`."""

from __future__ import annotations

from pathlib import Path

from . import inference, scaling, training
from ._harness import fmt, markdown_table


def targets(results: dict) -> list[list]:
    """``[target, measured, met]`` rows for the project's speed and memory targets.

    Training time against scikit-learn, PyTorch and the GEMM floor, peak
    training memory against the data's size, and onnxruntime's latency and
    throughput against ``predict``.
    """
    rows = []

    def add(name, value, ok, shown=None):
        if value is None:
            rows.append([name, "not measured", "–"])
        else:
            rows.append([name, shown or fmt(value), "yes" if ok(value) else "**no**"])

    train = {(r["case"], r["dtype"]): r for r in results.get("training", [])}

    def ratio(case, dtype, key):
        r = train.get((case, dtype))
        return None if r is None else r["ratio"].get(key)

    for dtype in ("float32", "float64"):
        add(
            f"default, {dtype}: sknet ÷ GEMM floor ≤ 2",
            ratio("default", dtype, "sknet/floor"),
            lambda v: v <= 2,
        )
    add(
        "reference, float32: sklearn ÷ sknet ≥ 1.5",
        ratio("reference", "float32", "sklearn/sknet"),
        lambda v: v >= 1.5,
    )
    add(
        "reference, float64: sklearn ÷ sknet ≥ 2",
        ratio("reference", "float64", "sklearn/sknet"),
        lambda v: v >= 2,
    )
    for dtype in ("float32", "float64"):
        add(
            f"reference, {dtype}: sknet ÷ GEMM floor ≤ 1.3",
            ratio("reference", dtype, "sknet/floor"),
            lambda v: v <= 1.3,
        )
    add(
        "tiny: sknet ≥ 3x faster than sklearn (sklearn ÷ sknet ≥ 3)",
        ratio("tiny", "float64", "sklearn/sknet"),
        lambda v: v >= 3,
    )
    for case in ("wide", "deep"):
        add(
            f"{case}: sknet ÷ GEMM floor ≤ 1.25",
            ratio(case, "float32", "sknet/floor"),
            lambda v: v <= 1.25,
        )
        add(
            f"{case}: not slower than PyTorch (torch ÷ sknet ≥ 1)",
            ratio(case, "float32", "torch/sknet"),
            lambda v: v >= 1,
        )

    memory = [
        m
        for m in results.get("scaling", {}).get("memory", [])
        if m["library"] == "sknet" and m["n"] == 1_000_000
    ]
    peak = max((max(m["traced_ratio"], m["rss_ratio"] or 0) for m in memory), default=None)
    add(
        "peak training memory, N = 10^6, float32 classifier: ≤ 1.3 x (X + y)",
        peak,
        lambda v: v <= 1.3,
        None if peak is None else f"{peak:.3f}",
    )
    reg = [
        m
        for m in results.get("scaling", {}).get("memory", [])
        if m["library"] == "sknet" and m["n"] == 1_000_000 and m.get("task") == "regression"
    ]
    if reg:
        peak = max(max(m["traced_ratio"], m["rss_ratio"] or 0) for m in reg)
        add(
            "peak training memory, N = 10^6, float32 regressor: ≤ 1.3 x (X + y)",
            peak,
            lambda v: v <= 1.3,
            f"{peak:.3f}",
        )

    speed = results.get("inference", {}).get("speed", {})
    one = speed.get(1, speed.get("1", {})).get("vs_sklearn", {}).get("ort-f32")
    add("inference, 1 row: onnxruntime ≥ 10x faster than sklearn predict", one, lambda v: v >= 10)
    ten = speed.get(10_000, speed.get("10000", {})).get("vs_sknet", {}).get("ort-f32")
    add(
        "inference, 10,000 rows: onnxruntime no slower than sknet predict (sknet ÷ ort ≥ 1)",
        ten,
        lambda v: v >= 1,
    )
    return rows


def write(results: dict, out: Path) -> None:
    parts = [_header(results)]
    parts += ["## Targets", "", markdown_table(["target", "measured", "met"], targets(results)), ""]
    if "training" in results:
        res = results["training"]
        training.plot(res, out / "training.png")
        parts += [
            "## Training",
            "",
            "Time per epoch: a whole `fit(X, y)` with `max_iter = epochs`, `tol = 0` and no "
            "early stop, divided by `n_iter_` (for L-BFGS: per iteration). The GEMM floor is "
            "the time of only the matrix products those epochs need (forward `A @ W`, "
            "`A.T @ dZ`, and `dZ @ W.T` below the top layer) on preallocated arrays, in the "
            "same rounds. `x ÷ y` columns are paired ratios of time per epoch "
            "(> 1: y is faster).",
            "",
            training.cases_table(res),
            "",
            training.speed_table(res),
            "",
            "Final test-set scores of the same fits (the last round's):",
            "",
            training.quality_table(res),
            "",
            "![training](training.png)",
            "",
        ]
    if "scaling" in results:
        res = results["scaling"]
        scaling.plot(res, out / "scaling.png")
        parts += [
            "## Scaling",
            "",
            f"Synthetic float32 data generated in place, {res['features']} features, "
            f"10 classes, sgd, batch {res['batch']}.",
            "",
            f"Time per epoch as rows grow (hidden {tuple(res['row_hidden'])}); "
            "µs/row constant = linear in N:",
            "",
            scaling.time_table(res["rows"], "rows"),
            "",
            f"Time per epoch as width grows ({res['width_rows']:,} rows, one hidden layer):",
            "",
            scaling.time_table(res["widths"], "width"),
            "",
            "Peak memory of one fit (1 epoch), each in a fresh process: what the fit adds "
            "on top of X and y, by tracemalloc (NumPy allocations) and by peak RSS "
            "(VmHWM reset before the fit); `peak ÷ data` = (X + y + the larger of the two) "
            "÷ (X + y):",
            "",
            scaling.memory_table(res["memory"]),
            "",
            "![scaling](scaling.png)",
            "",
        ]
    if "inference" in results:
        res = results["inference"]
        res["speed"] = {int(k): v for k, v in res["speed"].items()}
        inference.plot(res, out / "inference.png")
        skipped = "; ".join(f"{k}: {v}" for k, v in res["skipped"].items()) or "nothing"
        parts += [
            "## Inference",
            "",
            f"A classifier {res['features']} -> {' -> '.join(map(str, res['hidden']))} -> "
            f"{res['classes']} fitted by sknet (float32); scikit-learn's contender holds the "
            "same weights. Latency: median over rounds of the mean of a ~0.2 s loop of 1-row "
            "calls; throughput on 10,000 rows likewise, on 1,000,000 rows one call per round. "
            f"Skipped: {skipped}.",
            "",
            inference.speed_table(res),
            "",
            "Compression (test set of the training data):",
            "",
            inference.compression_table(res),
            "",
            "![inference](inference.png)",
            "",
        ]
    parts += ["## Machine", "", _machine(results["machine"]), ""]
    (out / "results.md").write_text("\n".join(parts))


def _header(results: dict) -> str:
    m = results["machine"]
    command = "python -m benchmarks.run" + (" --quick" if results["quick"] else "")
    lines = [
        "# sknet benchmark results"
        + (" (quick smoke run: sizes too small to mean anything)" if results["quick"] else ""),
        "",
        f"Measured {m['date']} on {m['cpu']}, {m['usable_cores']} usable cores, "
        f"{_blas_line(m)}; {results['threads']} thread(s) for BLAS / OpenMP / PyTorch / "
        f"onnxruntime. `{command}` took {results['seconds']:.0f} s.",
        "",
        "All timings come from one process with the contenders in turns (order rotated each "
        f"round), {results['repeats']} rounds per training case (3 for `wide`), 3 for scaling and "
        "inference; times are medians, and each "
        "ratio is the median of the ratios measured within a round — on these shared, noisy "
        "machines a ratio measured in one run is the figure that counts.",
        "",
    ]
    if results.get("stand_in"):
        lines += ["**sknet's estimators were not importable: scikit-learn stood in for them.**", ""]
    return "\n".join(lines)


def _blas_line(m: dict) -> str:
    blas = [b for b in m["blas"] if b.get("user_api") == "blas"]
    return (
        "BLAS: "
        + ", ".join(
            f"{b['internal_api']} {b['version']} ({b.get('architecture')} kernel, {b['prefix']})"
            for b in blas
        )
        if blas
        else "BLAS: unknown"
    )


def _machine(m: dict) -> str:
    lines = [
        f"- CPU: {m['cpu']}; logical cores {m['logical_cores']}, usable "
        f"{m['usable_cores']}; memory {m['memory_gib']} GiB",
        f"- {m['platform']}, Python {m['python']}, git {m['git_commit']}",
        f"- {_blas_line(m)}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v),
    ]
    if m.get("torch_backend"):
        t = m["torch_backend"]
        lines.append(f"- PyTorch backend: BLAS {t['blas']}, CPU capability {t['cpu_capability']}")
    if m["env"]:
        lines.append("- environment: " + ", ".join(f"{k}={v}" for k, v in m["env"].items()))
    lines.append("- full description: `machine.json`")
    return "\n".join(lines)
