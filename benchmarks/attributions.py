"""Attribution speed: sknet.inspection next to permutation_importance and shap.

    python -m benchmarks.attributions              # ~5 min on 2 loaded cores
    python -m benchmarks.attributions --quick      # smoke run, seconds; no shap
    python -m benchmarks.attributions --no-shap --out /tmp/attr

One model, a StandardScaler + MLPClassifier(64, 32) pipeline on 30 features
(binary), explained on the same held-out rows by, in one process and in
turns (``_harness.alternate``, BLAS pinned with threadpoolctl):

* ``attributions(method="gradient")`` and ``"integrated_gradients"`` (50
  steps), float64 and a float32 copy of the network, on 10^3 and 10^4 rows;
  integrated gradients at the defaults (every row within
  ``completeness_tol=0.01``: rows the plain rule misses are recomputed,
  exactly on this relu network), next to the plain 50-point rule
  (``completeness_tol=None``) and to every row exact
  (``completeness_tol=1e-12``);
* scikit-learn's ``permutation_importance`` (5 repeats) on the same rows: a
  global importance, timed per row of the data it shuffles;
* shap's model-agnostic explainer (``shap.Explainer`` on ``predict_proba``
  with a 100-row ``Independent`` masker: it picks the PermutationExplainer),
  on the first 20 rows only, as it takes seconds per row.

Also: the peak memory (tracemalloc) of integrated gradients on 10^4 rows x
100 features, next to what all the interpolated points would take at once,
and the completeness error of the timed model with each rule. Output: ``results.md``,
``results.json``, ``machine.json`` and ``attributions.png`` in
``benchmarks/results/attributions/``.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/attributions.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

import numpy as np

from . import _contenders as C
from ._harness import (
    RESULTS_DIR,
    alternate,
    log,
    machine_info,
    markdown_table,
    pinned_threads,
    timed,
    write_json,
)

FEATURES, HIDDEN, SHAP_ROWS, STEPS = 30, (64, 32), 20, 50
EXACT_TOL = 1e-12
"""A completeness_tol that every row of a relu network meets only exactly."""


def plan(quick: bool) -> dict:
    if quick:
        return dict(train=500, sizes=[100], repeats=1, epochs=3, memory=(300, 20))
    return dict(train=3_000, sizes=[1_000, 10_000], repeats=5, epochs=30, memory=(10_000, 100))


def build(p: dict, dtype="float64"):
    """The pipeline, a float32 copy of it, and the rows to explain."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sknet import MLPClassifier

    n_rows = max(p["sizes"])
    Xtr, ytr, Xte, yte = C.train_test(p["train"], n_rows, FEATURES, 2, dtype)
    network = MLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=p["epochs"], random_state=0)
    model = C.quiet_fit(make_pipeline(StandardScaler(), network), Xtr, ytr)
    float32 = C.quiet_fit(
        make_pipeline(StandardScaler(), MLPClassifier(**{**network.get_params(), "max_iter": 1})),
        Xtr,
        ytr,
    )
    float32[-1].coefs_ = [W.astype(np.float32) for W in model[-1].coefs_]
    float32[-1].intercepts_ = [b.astype(np.float32) for b in model[-1].intercepts_]
    return model, float32, (Xtr, ytr, Xte, yte)


def contenders(model, float32, data, n_rows, with_shap):
    """Callables returning seconds per explained row."""
    from sklearn.inspection import permutation_importance

    from sknet.inspection import attributions

    Xtr, _, Xte, yte = data
    X, y = Xte[:n_rows], yte[:n_rows]

    def ours(m, rows, **kwargs):
        return lambda: timed(lambda: attributions(m, rows, **kwargs))[0] / len(rows)

    runs = {
        "gradient": ours(model, X, method="gradient"),
        "ig": ours(model, X, n_steps=STEPS),
        "ig-plain": ours(model, X, n_steps=STEPS, completeness_tol=None),
        "ig-exact": ours(model, X, n_steps=STEPS, completeness_tol=EXACT_TOL),
        "ig-f32": ours(float32, X.astype(np.float32), n_steps=STEPS),
        "permutation": lambda: (
            timed(lambda: permutation_importance(model, X, y, n_repeats=5, random_state=0))[0]
            / n_rows
        ),
    }
    if with_shap:
        import shap

        explainer = shap.Explainer(
            lambda Z: model.predict_proba(Z)[:, 1], shap.maskers.Independent(Xtr[:100])
        )
        runs["shap"] = lambda: timed(lambda: explainer(X[:SHAP_ROWS], silent=True))[0] / SHAP_ROWS
        runs["ig-shap-rows"] = ours(model, X[:SHAP_ROWS], n_steps=STEPS)
    return runs


LABELS = {
    "gradient": "sknet gradient",
    "ig": "sknet integrated gradients (defaults: every row within 1%)",
    "ig-plain": f"sknet integrated gradients, plain {STEPS}-point rule",
    "ig-exact": "sknet integrated gradients, every row exact",
    "ig-f32": "sknet integrated gradients (defaults), float32 network",
    "permutation": "sklearn permutation_importance (5 repeats), per row shuffled",
    "shap": f"shap PermutationExplainer, {SHAP_ROWS} rows",
    "ig-shap-rows": f"sknet integrated gradients on the same {SHAP_ROWS} rows",
}


RATIOS = [
    ("shap", "ig-shap-rows"),
    ("shap", "ig"),
    ("permutation", "ig"),
    ("permutation", "gradient"),
    ("ig", "ig-plain"),
    ("ig-exact", "ig-plain"),
    ("ig", "ig-f32"),
]
"""Paired ratios of time per explained row reported (> 1: the second is faster)."""

TARGET = ("shap", "ig-shap-rows", 100.0)
"""The issue's target: integrated gradients >= 100x faster per row than shap."""


def memory(n_rows, n_features):
    """Seconds and peak traced bytes of integrated gradients (at the defaults,
    and with every row exact), and the all-at-once size."""
    from sknet import MLPClassifier
    from sknet.inspection import attributions

    X, y, _, _ = C.train_test(n_rows, 1, n_features, 2, "float64")
    model = C.quiet_fit(MLPClassifier(hidden_layer_sizes=HIDDEN, max_iter=1), X, y)
    result = dict(rows=n_rows, features=n_features, x_mib=X.nbytes / 2**20)
    result["all_points_mib"] = n_rows * STEPS * n_features * 8 / 2**20
    for name, tol in (("", 0.01), ("_exact", EXACT_TOL)):
        tracemalloc.start()
        start = time.perf_counter()
        attributions(model, X, n_steps=STEPS, completeness_tol=tol)
        result[f"seconds{name}"] = time.perf_counter() - start
        result[f"peak_mib{name}"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def completeness(model, X):
    """Per rule, the spread of the completeness error over the rows."""
    from sknet.inspection import attributions

    results = {}
    for name, tol in (("plain", None), ("default", 0.01), ("exact", EXACT_TOL)):
        _, error = attributions(
            model, X, n_steps=STEPS, completeness_tol=tol, return_completeness=True
        )
        results[name] = dict(
            median=float(np.median(error)),
            p95=float(np.quantile(error, 0.95)),
            max=float(error.max()),
            above_1pct=float(np.mean(error > 0.01)),
        )
    return results


def run(p: dict, with_shap: bool, progress=log) -> dict:
    model, float32, data = build(p)
    results = dict(cases=[], skipped={})
    for n_rows in p["sizes"]:
        progress(f"attributions: {n_rows} rows")
        shap_here = with_shap and n_rows == min(p["sizes"])
        timings = alternate(
            contenders(model, float32, data, n_rows, shap_here),
            repeats=p["repeats"],
            progress=progress,
        )
        case = dict(rows=n_rows, ms_per_row={}, rows_per_s={}, spread={}, ratios={})
        for name in timings.rounds:
            case["ms_per_row"][name] = timings.median(name) * 1e3
            case["rows_per_s"][name] = 1.0 / timings.median(name)
            case["spread"][name] = timings.spread(name)
        for slow, fast in RATIOS:
            if slow in timings and fast in timings:
                case["ratios"][f"{slow} / {fast}"] = timings.ratio(slow, fast)
        results["cases"].append(case)
    results["completeness"] = completeness(model, data[2][: min(p["sizes"])])
    progress("attributions: memory")
    results["memory"] = memory(*p["memory"])
    return results


def markdown(results: dict, machine: dict, argv: list[str]) -> str:
    lines = [
        "# Attribution speed",
        "",
        "`benchmarks/attributions.py`: `sknet.inspection.attributions` next to scikit-learn's "
        "`permutation_importance` and shap's model-agnostic explainer, on the same model. "
        f"Measured {machine['date']} on {machine['cpu']}, {machine['usable_cores']} usable "
        f"cores, BLAS pinned to {machine['threads_pinned']} thread; command: "
        f"`python -m benchmarks.attributions {' '.join(argv)}`. The machine was shared with "
        "other jobs while this ran, so absolute times are noisy: compare the ratios, which are "
        "medians of per-round ratios measured in one process with the contenders in turns.",
        "",
        f"Model: StandardScaler + MLPClassifier{HIDDEN}, relu, {FEATURES} features, binary; "
        "the explained output is the predicted class's probability (shap: the probability of "
        "class 1). Times are medians over rounds; spread is (max - min) / median. Integrated "
        f"gradients take n_steps={STEPS}; the defaults (completeness_tol=0.01) recompute the "
        "rows that the plain rule (completeness_tol=None) leaves more than 1% from "
        "completeness, exactly on this relu network; every row exact: "
        f"completeness_tol={EXACT_TOL:g}.",
        "",
    ]
    first = results["cases"][0]["ratios"]
    slow, fast, goal = TARGET
    if f"{slow} / {fast}" in first:
        measured = first[f"{slow} / {fast}"]
        lines += [
            "## Target",
            "",
            markdown_table(
                ["target", "measured", "met"],
                [
                    [
                        f"integrated gradients >= {goal:.0f}x faster per explained row than "
                        f"shap's model-agnostic explainer (same {SHAP_ROWS} rows)",
                        measured,
                        "yes" if measured >= goal else "**no**",
                    ]
                ],
            ),
            "",
        ]
    for case in results["cases"]:
        rows = [
            [
                LABELS[name],
                case["ms_per_row"][name],
                case["rows_per_s"][name],
                case["spread"][name],
            ]
            for name in case["ms_per_row"]
        ]
        lines += [f"## {case['rows']:,} rows", ""]
        lines += [markdown_table(["contender", "ms / row", "rows / s", "spread"], rows), ""]
        if case["ratios"]:
            ratio_rows = [
                [f"{LABELS[k.split(' / ')[0]]} ÷ {LABELS[k.split(' / ')[1]]}", v]
                for k, v in case["ratios"].items()
            ]
            lines += [markdown_table(["paired ratio of time per row", "x"], ratio_rows), ""]
    c, m = results["completeness"], results["memory"]
    lines += [
        "## Completeness of integrated gradients on this model",
        "",
        f"Relative error |sum - (f(x) - f(baseline))| / |f(x) - f(baseline)| per row, on the "
        f"{results['cases'][0]['rows']:,} rows of the first table, {STEPS} steps. The plain "
        "rule misses on rows whose path crosses relu kinks (the gradient jumps there); the "
        "default recomputes those rows exactly.",
        "",
        markdown_table(
            ["rule", "median", "95th percentile", "max", "rows above 1%"],
            [
                [
                    LABELS[f"ig-{k}" if k != "default" else "ig"],
                    f"{v['median']:.2e}",
                    f"{v['p95']:.2e}",
                    f"{v['max']:.3e}",
                    f"{v['above_1pct']:.1%}",
                ]
                for k, v in c.items()
            ],
        ),
        "",
        "## Memory",
        "",
        f"Integrated gradients, {m['rows']:,} rows x {m['features']} features, {STEPS} steps, "
        f"untrained (64, 32) relu network: at the defaults {m['seconds']:.2f} s, peak traced "
        f"memory {m['peak_mib']:.0f} MiB; every row exact {m['seconds_exact']:.2f} s, "
        f"{m['peak_mib_exact']:.0f} MiB (X itself: {m['x_mib']:.1f} MiB; all "
        f"{m['rows'] * STEPS:,} interpolated points at once would take "
        f"{m['all_points_mib']:.0f} MiB).",
        "",
        "![attribution speed](attributions.png)",
        "",
    ]
    return "\n".join(lines)


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.8))
    names = [n for n in LABELS if any(n in c["rows_per_s"] for c in results["cases"])]
    width = 0.8 / len(results["cases"])
    for i, case in enumerate(results["cases"]):
        values = [case["rows_per_s"].get(n, np.nan) for n in names]
        ax.barh(
            np.arange(len(names)) + i * width, values, height=width, label=f"{case['rows']:,} rows"
        )
    ax.set_xscale("log")
    ax.set_yticks(np.arange(len(names)) + width * (len(results["cases"]) - 1) / 2)
    ax.set_yticklabels([LABELS[n] for n in names], fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("explained rows per second (log scale; more is better)")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no shap")
    parser.add_argument("--no-shap", action="store_true", help="leave shap out")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--out", type=Path, default=None, help="results folder")
    args = parser.parse_args(argv)
    out = args.out or RESULTS_DIR / ("attributions-quick" if args.quick else "attributions")
    with_shap = not (args.quick or args.no_shap)
    if with_shap:
        try:
            import shap  # noqa: F401
        except ImportError:
            log("shap is not installed: left out")
            with_shap = False
    with pinned_threads(args.threads):
        start = time.perf_counter()
        results = run(plan(args.quick), with_shap)
        results["seconds"] = time.perf_counter() - start
        machine = machine_info(args.threads)
    machine["versions"]["shap"] = _version("shap")
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "results.json", results)
    write_json(out / "machine.json", machine)
    plot(results, out / "attributions.png")
    (out / "results.md").write_text(markdown(results, machine, list(argv or sys.argv[1:])))
    log(f"wrote {out}")
    return results


def _version(name):
    """The installed version of ``name``, without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
