"""Scaling: time per epoch and peak memory as rows and width grow.

Time is measured in this process (sknet, scikit-learn and the GEMM floor
in turns). Memory is measured in a fresh subprocess per contender and size
(:mod:`benchmarks._memprobe`), so one fit's peak is not hidden by another's.
The claim under test: time grows linearly in N, and the memory a fit adds
on top of the data is O(batch x width + weights), not O(N) — no
full-dataset copy per epoch.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from . import _contenders as C
from ._harness import REPO_ROOT, GemmFloor, alternate, log, markdown_table, timed

FEATURES, CLASSES, BATCH, DTYPE = 100, 10, 200, "float32"


def plan(quick: bool) -> dict:
    if quick:
        return dict(
            rows=[1_000, 4_000],
            row_hidden=(16,),
            widths=[8, 32],
            width_rows=2_000,
            memory_rows=[2_000],
            memory_widths=[],
            memory_regression=[],
            repeats=2,
        )
    return dict(
        rows=[1_000, 10_000, 100_000, 1_000_000],
        row_hidden=(64,),
        widths=[64, 256, 1024, 4096],
        width_rows=20_000,
        memory_rows=[10_000, 100_000, 1_000_000],
        memory_widths=[64, 1024, 4096],
        memory_regression=[1_000_000],
        repeats=3,
    )


def _epochs_for(n_rows: int, quick: bool = False) -> int:
    """Enough epochs that a small N is still timed over ~10^5 rows."""
    return int(min(3 if quick else 30, max(1, 100_000 // n_rows)))


def time_point(
    n_rows: int,
    hidden: tuple,
    repeats: int,
    quick: bool = False,
    epochs: int | None = None,
    progress=log,
) -> dict:
    X, y = C.teacher_data(n_rows, FEATURES, CLASSES, DTYPE)
    epochs = epochs or _epochs_for(n_rows, quick)
    params = dict(
        hidden_layer_sizes=hidden,
        solver="sgd",
        batch_size=BATCH,
        learning_rate_init=0.01,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=True,
        random_state=0,
    )
    floor = GemmFloor(n_rows, [FEATURES, *hidden, CLASSES], BATCH, DTYPE)

    def fitter(library):
        def run():
            model = C.make_mlp(library, "classification", params, DTYPE)
            seconds, _ = timed(lambda: C.quiet_fit(model, X, y))
            return seconds / model.n_iter_

        return run

    timings = alternate(
        {"sknet": fitter("sknet"), "sklearn": fitter("sklearn"), "floor": floor.epoch},
        repeats,
        warmup=n_rows < 100_000,
        progress=progress,
    )
    point = {
        "n": n_rows,
        "hidden": list(hidden),
        "epochs": epochs,
        "ms": {k: 1e3 * timings.median(k) for k in timings.rounds},
        "sklearn/sknet": timings.ratio("sklearn", "sknet"),
        "sknet/floor": timings.ratio("sknet", "floor"),
    }
    progress(
        f"  N={n_rows:,} hidden={hidden}: "
        + ", ".join(f"{k} {v:.1f} ms/epoch" for k, v in point["ms"].items())
    )
    return point


def memory_point(
    library: str, n_rows: int, hidden: tuple, threads: int, classes: int = CLASSES
) -> dict:
    """One fit's peak memory in a fresh process; ``classes=0``: a regressor."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks._memprobe",
        "--library",
        library,
        "--n",
        str(n_rows),
        "--features",
        str(FEATURES),
        "--classes",
        str(classes),
        "--hidden",
        *map(str, hidden),
        "--batch",
        str(BATCH),
        "--dtype",
        DTYPE,
        "--threads",
        str(threads),
    ]
    out = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool, threads: int, progress=log) -> dict:
    p = plan(quick)
    progress("scaling: time vs rows ...")
    rows = [
        time_point(n, p["row_hidden"], p["repeats"], quick, progress=progress) for n in p["rows"]
    ]
    progress("scaling: time vs width ...")
    widths = [
        time_point(p["width_rows"], (w,), p["repeats"], quick, epochs=2, progress=progress)
        for w in p["widths"]
    ]
    progress("scaling: peak memory (fresh process per fit) ...")
    memory = []
    points = [(n, p["row_hidden"], CLASSES) for n in p["memory_rows"]]
    points += [(p["width_rows"], (w,), CLASSES) for w in p["memory_widths"]]
    points += [(n, p["row_hidden"], 0) for n in p["memory_regression"]]
    for n, hidden, classes in points:
        for library in ("sknet", "sklearn"):
            try:
                m = memory_point(library, n, hidden, threads, classes)
            except Exception as exc:
                progress(f"  ! memory {library} N={n}: {exc}")
                continue
            memory.append(m)
            progress(
                f"  {library} {m['task']} N={n:,} hidden={hidden}: "
                f"+{m['traced_extra'] / 2**20:.1f} MiB "
                f"traced, +{(m['rss_extra'] or 0) / 2**20:.1f} MiB RSS over "
                f"{m['data_bytes'] / 2**20:.1f} MiB of data (x{m['traced_ratio']:.3f})"
            )
    return {
        "rows": rows,
        "widths": widths,
        "memory": memory,
        "features": FEATURES,
        "batch": BATCH,
        "dtype": DTYPE,
        "row_hidden": list(p["row_hidden"]),
        "width_rows": p["width_rows"],
    }


# --------------------------------------------------------------------------
# report


def time_table(points: list[dict], key: str) -> str:
    header = [
        key,
        "epochs timed",
        "sknet ms/epoch",
        "scikit-learn",
        "GEMM floor",
        "sknet µs/row",
        "sklearn ÷ sknet",
        "sknet ÷ floor",
    ]
    rows = []
    for p in points:
        label = f"{p['n']:,}" if key == "rows" else f"({p['hidden'][0]},)"
        rows.append(
            [
                label,
                p["epochs"],
                p["ms"]["sknet"],
                p["ms"]["sklearn"],
                p["ms"]["floor"],
                1e3 * p["ms"]["sknet"] / p["n"],
                p["sklearn/sknet"],
                p["sknet/floor"],
            ]
        )
    return markdown_table(header, rows)


def memory_table(memory: list[dict]) -> str:
    header = [
        "task",
        "rows",
        "hidden",
        "X + y MiB",
        "sknet +MiB (traced / RSS)",
        "sklearn +MiB (traced / RSS)",
        "sknet peak ÷ data",
        "sklearn peak ÷ data",
    ]
    by_point: dict = {}
    for m in memory:
        key = (m.get("task", "classification"), m["n"], tuple(m["hidden"]))
        by_point.setdefault(key, {})[m["library"]] = m
    rows = []
    for (task, n, hidden), libs in by_point.items():
        data = next(iter(libs.values()))["data_bytes"] / 2**20

        def extra(lib, libs=libs):
            m = libs.get(lib)
            if m is None:
                return None
            rss = "–" if m["rss_extra"] is None else f"{m['rss_extra'] / 2**20:.1f}"
            return f"{m['traced_extra'] / 2**20:.1f} / {rss}"

        def ratio(lib, libs=libs):
            m = libs.get(lib)
            return None if m is None else max(m["traced_ratio"], m["rss_ratio"] or 0)

        rows.append(
            [
                task,
                f"{n:,}",
                str(hidden),
                data,
                extra("sknet"),
                extra("sklearn"),
                ratio("sknet"),
                ratio("sklearn"),
            ]
        )
    return markdown_table(header, rows)


def plot(result: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    n = np.array([p["n"] for p in result["rows"]])
    for key, label in (("sknet", "sknet"), ("sklearn", "scikit-learn"), ("floor", "GEMM floor")):
        ax.loglog(n, [p["ms"][key] for p in result["rows"]], "o-", label=label)
    base = result["rows"][0]["ms"]["sknet"]
    ax.loglog(n, base * n / n[0], "k:", lw=1, label="linear in N")
    ax.set(
        xlabel="rows N",
        ylabel="ms / epoch",
        title=f"Time per epoch vs N (hidden {tuple(result['row_hidden'])})",
    )
    ax.legend(fontsize=8)

    ax = axes[1]
    w = [p["hidden"][0] for p in result["widths"]]
    for key, label in (("sknet", "sknet"), ("sklearn", "scikit-learn"), ("floor", "GEMM floor")):
        ax.loglog(w, [p["ms"][key] for p in result["widths"]], "o-", label=label)
    ax.set(
        xlabel="hidden width",
        ylabel="ms / epoch",
        title=f"Time per epoch vs width (N = {result['width_rows']:,})",
    )
    ax.legend(fontsize=8)

    ax = axes[2]
    for lib, label in (("sknet", "sknet"), ("sklearn", "scikit-learn")):
        pts = sorted(
            (m["n"], m["traced_extra"])
            for m in result["memory"]
            if m["library"] == lib
            and m["hidden"] == result["row_hidden"]
            and m.get("task", "classification") == "classification"
        )
        if pts:
            ax.loglog(*zip(*pts), "o-", label=f"{label}: fit's extra memory")
    for lib, marker in (("sknet", "s"), ("sklearn", "D")):
        pts = [
            (m["n"], m["traced_extra"])
            for m in result["memory"]
            if m["library"] == lib and m.get("task") == "regression"
        ]
        if pts:
            ax.loglog(
                *zip(*pts), marker, mfc="none", ms=9, label=f"{lib}, regressor (no label encoding)"
            )
    data = sorted(
        {
            (m["n"], m["data_bytes"])
            for m in result["memory"]
            if m["hidden"] == result["row_hidden"] and m.get("task") != "regression"
        }
    )
    if data:
        ax.loglog(*zip(*data), "k--", label="X + y")
        ax.loglog([d[0] for d in data], [0.3 * d[1] for d in data], "r:", label="0.3 x (X + y)")
    ax.set(xlabel="rows N", ylabel="bytes", title="Peak memory a fit adds on top of the data")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
