"""``results.md`` and ``compress.png`` of :mod:`benchmarks.compress`."""

from __future__ import annotations

from pathlib import Path

from ._harness import markdown_table


def write(report: dict, machine: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    parts = [_header(report, machine), "## Targets (digits)", _targets(report)]
    for task in report["tasks"]:
        parts += [f"## {task['task']}", _task_table(task)]
    parts += ["## A gradient-boosting model distilled into a network", _boosting(report)]
    if plot(report, out / "compress.png"):
        parts += ["## Plot", "![accuracy against time per 10,000 rows](compress.png)"]
    (out / "results.md").write_text("\n\n".join(parts) + "\n")


def _header(report: dict, machine: dict) -> str:
    p, load = report["plan"], machine.get("load_average", {})
    blas = ", ".join(
        f"{b['internal_api']} {b['version']} ({b['num_threads']} thread)"
        for b in machine.get("blas", [])
    )
    cores = machine.get("usable_cores") or machine.get("logical_cores")
    start, end = (load.get(k, [float("nan")])[0] for k in ("start", "end"))
    return "\n".join(
        [
            "# Smaller networks: pruning and distillation, with and without int8",
            "",
            f"`{report['command']}` on {machine['date']}, commit {machine['git_commit']}; "
            f"{machine['cpu']}, {cores} usable cores; thread pools pinned to "
            f"{machine['threads_pinned']} thread ({blas}); onnxruntime "
            f"{machine['versions'].get('onnxruntime')}, CPUExecutionProvider, one intra-op thread.",
            "",
            f"**The machine was shared with other work** (1-minute load average {start:.1f} at the "
            f"start and {end:.1f} at the end, on {cores} cores). Every time is the median over "
            f"{p['repeats']} rounds in which the models of a table ran in turns, the order "
            "rotating; speed-ups are paired (the median of the per-round ratios). "
            "Compare ratios, not times.",
            "",
            f"Original: StandardScaler + `MLPClassifier({tuple(p['hidden'])})`, adam, "
            f"`max_iter={p['epochs']}`. Pruned: `prune(original, X_train, y_train, amount=..., "
            f"fine_tune_iter={p['fine_tune']})` (criterion 'activation'). Distilled: "
            "`distill(original, X_train, student=<same pipeline, a quarter of each width>, "
            "temperature=2.0)`. int8: `to_onnx(model, compress='int8')`. Accuracy and macro F1 "
            "are those of the ONNX model's labels on the held-out rows; the batch timed is "
            f"{p['batch_rows']:,} held-out rows (digits: its 540 rows repeated).",
        ]
    )


def _row(task: dict, model: str) -> dict | None:
    return next((r for r in task["rows"] if r["model"] == model), None)


def _targets(report: dict) -> str:
    task = report["tasks"][0]
    original, pruned = _row(task, "original, float32"), _row(task, "pruned 75%, float32")
    drop = original["accuracy"] - pruned["accuracy"]
    speed = pruned["batch_speedup"]
    rows = [
        [
            "75% pruned and fine-tuned: accuracy within 0.01 of the original",
            f"{-drop:+.4f}",
            "yes" if drop <= 0.01 else "**no**",
        ],
        [
            "75% pruned: ≥ 2x less onnxruntime time per batch (original ÷ pruned)",
            f"{speed:.2f}x",
            "yes" if speed >= 2 else "**no**",
        ],
    ]
    return markdown_table(["target", "measured", "met"], rows)


def _task_table(task: dict) -> str:
    header = [
        "model",
        "hidden",
        "parameters",
        "ONNX KiB",
        "1 row µs",
        f"{task['batch_rows']:,} rows ms",
        "speed-up",
        "accuracy",
        "macro F1",
    ]
    rows = []
    for r in task["rows"]:
        variant = r["model"].rsplit(", ", 1)[0]
        rows.append(
            [
                r["model"],
                str(tuple(task["hidden"][variant])),
                r["parameters"],
                r["onnx_bytes"] / 1024,
                r["us_1row"],
                r["ms_batch"],
                f"{r['batch_speedup']:.2f}x",
                f"{r['accuracy']:.4f}",
                f"{r['macro_f1']:.4f}",
            ]
        )
    note = (
        f"{task['n_train']:,} training rows, {task['n_test']:,} held out. Speed-up: time of the "
        "original float32 model ÷ this model's, on the batch."
    )
    return note + "\n\n" + markdown_table(header, rows)


def _boosting(report: dict) -> str:
    parts = []
    for task in report["tasks"]:
        h = task["hgb"]
        header = [
            "model",
            "ONNX KiB",
            "1 row µs",
            f"{task['batch_rows']:,} rows ms",
            "accuracy",
            "macro F1",
            "agreement with the boosting model",
        ]
        rows = [
            [
                r["model"],
                r["onnx_bytes"] / 1024,
                r["us_1row"],
                r["ms_batch"],
                f"{r['accuracy']:.4f}",
                f"{r['macro_f1']:.4f}",
                f"{r['agreement']:.4f}",
            ]
            for r in h["rows"]
        ]
        parts.append(
            f"**{task['task']}**: `HistGradientBoostingClassifier` ({h['trees']} trees, "
            f"scikit-learn accuracy {h['teacher_accuracy_sklearn']:.4f}) distilled into the "
            f"quarter-width network ({h['student_parameters']:,} parameters) at temperature 2. "
            f"ONNX of the boosting model: {h['onnx_note']}\n\n" + markdown_table(header, rows)
        )
    return "\n\n".join(parts)


COLOURS = {"original": "C0", "pruned 50%": "C1", "pruned 75%": "C2", "distilled 1/4": "C3"}


def plot(report: dict, path: Path) -> bool:
    """Accuracy against time per batch, one panel per task; int8 hollow."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    tasks = report["tasks"]
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks) + 2, 4.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for r in task["rows"]:
            variant, number_format = r["model"].rsplit(", ", 1)
            _point(ax, r, "o", COLOURS[variant], number_format == "int8", r["model"])
        for r in task["hgb"]["rows"]:
            tree = r["model"] == "gradient boosting"
            label = "boosting model" if tree else r["model"].replace("student", "its student")
            _point(ax, r, "X" if tree else "*", "k", r["model"].endswith("int8"), label)
        ax.set_xscale("log")
        ax.set_xlabel(f"onnxruntime ms per {task['batch_rows']:,} rows (1 thread, log scale)")
        ax.set_ylabel("held-out accuracy")
        ax.set_title(task["task"])
        ax.grid(True, alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle("Smaller networks: filled float32, hollow int8")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _point(ax, r, marker, colour, hollow, label):
    face = "none" if hollow else colour
    ax.scatter(
        r["ms_batch"],
        r["accuracy"],
        s=70,
        marker=marker,
        edgecolors=colour,
        facecolors=face,
        label=label,
    )
