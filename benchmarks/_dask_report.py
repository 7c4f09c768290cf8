"""results.md of benchmarks/dask_scaling.py: the three tables and what limits them."""

from __future__ import annotations

import statistics

from ._harness import markdown_table


def write_report(path, results, machine):
    parts = ["# sknet.dask benchmarks", "", _header(results, machine)]
    if "scaling" in results:
        parts += ["## 1. Strong scaling", "", *_scaling(results["scaling"])]
    if "accuracy" in results:
        parts += ["## 2. Time to a held-out accuracy", "", *_accuracy(results["accuracy"])]
    if "memory" in results:
        parts += ["## 3. Out of core", "", *_memory(results["memory"])]
    path.write_text("\n".join(parts) + "\n")


def _header(results, machine):
    s = results["settings"]
    return (
        f"Run {machine['date']} on {machine['cpu']}, {machine['usable_cores']} usable cores "
        f"shared with other jobs, {machine['memory_gib']} GiB; dask "
        f"{machine['versions'].get('dask', '?')}. Process-based LocalCluster, one thread per "
        "worker, BLAS pinned to one thread in every process. Command: `python -m "
        f"benchmarks.dask_scaling{' --quick' if results['quick'] else ''}` "
        f"(rows {s['rows']:,} x {s['features']} float32, hidden {s.get('hidden', '(64,)')}, "
        "10 classes).\n"
    )


def _median(runs, section, key):
    return statistics.median(run[section][key] for run in runs)


def _scaling(scaling):
    runs, local = scaling["runs"], scaling["local"]
    capacity = statistics.median(r["capacity"]["capacity"] for w in (1, 2) for r in runs[w])
    rows = []
    for name, label, local_s in (
        ("lbfgs", "L-BFGS iteration", local["lbfgs"]["fit_s"] / max(local["lbfgs"]["n_iter"], 1)),
        ("average", "averaging round (1 epoch, adam)", local["adam_epoch"]["fit_s"]),
    ):
        per = {
            w: statistics.median(r[name]["solver_s"] / max(r[name]["n_iter"], 1) for r in runs[w])
            for w in (1, 2)
        }
        rows.append(
            [
                label,
                local_s,
                per[1],
                per[2],
                per[1] / (2 * per[2]),
                per[1] / per[2] / capacity,
                _median(runs[2], name, "compute_s"),
                _median(runs[2], name, "other_s"),
            ]
        )
    gaps = {
        w: statistics.median(
            (r["lbfgs"]["solver_s"] - r["lbfgs"]["total_wall_s"]) / r["lbfgs"]["n_iter"]
            for r in runs[w]
        )
        for w in (1, 2)
    }
    loads = [run["load_before"] for w in (1, 2) for run in runs[w]]
    capacities = [run["capacity"]["capacity"] for w in (1, 2) for run in runs[w]]
    table = markdown_table(
        [
            "seconds per",
            "local fit",
            "1 worker",
            "2 workers",
            "efficiency t1/(2 t2)",
            "speedup / capacity",
            "2 workers: compute per pass",
            "2 workers: other per pass",
        ],
        rows,
    )
    per_run = markdown_table(
        ["run", "workers", "capacity", "load", "s per L-BFGS iteration", "s per round"],
        [
            [i + 1, w, r["capacity"]["capacity"], r["load_before"], *_per_iteration(r)]
            for i, (w, r) in enumerate(_in_order(runs))
        ],
    )
    return [
        table,
        "",
        "Medians over the runs. *local fit*: the same fit in the client process without Dask "
        "(one core). *compute per pass*: the busiest worker's task time in a pass (Dask's task "
        "stream); *other*: the rest of the pass's wall time (scheduler round trip, "
        "serialisation of the parameter vector and the gradient, the client's sums and "
        "SciPy's step). *capacity*: the combined throughput of two single-threaded BLAS "
        "processes run at once over that of one alone, measured before every run "
        f"({', '.join(f'{c:.2f}' for c in capacities)}; 2.0 on an idle 2-core machine): the "
        "most a second worker could add. *speedup / capacity*: ``t1 / t2`` over that median "
        f"capacity ({capacity:.2f}).",
        "",
        "Between two L-BFGS passes the client spends a median "
        f"{gaps[1]:.2f} s (1 worker) and {gaps[2]:.2f} s (2 workers) per iteration outside "
        "any pass: SciPy's step, building the next pass's tasks, and waiting for a core.",
        "",
        f"Load average (1 min) when the runs started: {', '.join(f'{v:.1f}' for v in loads)} "
        "on 2 cores. Other jobs shared the cores, so the 2-worker runs competed with them and "
        "the efficiencies here are lower bounds of what an idle machine gives. Run by run "
        "(1 and 2 workers alternating), with the capacity measured just before:",
        "",
        per_run,
        "",
    ]


def _per_iteration(run):
    return [run[name]["solver_s"] / max(run[name]["n_iter"], 1) for name in ("lbfgs", "average")]


def _in_order(runs):
    """The runs in the order they ran (``strong_scaling``'s 1, 2, 2, 1, ... workers)."""
    queues = {w: list(runs[w]) for w in (1, 2)}
    n = len(queues[1]) + len(queues[2])
    return [(w, queues[w].pop(0)) for w in ([1, 2, 2, 1] * n)[:n]]


def _accuracy(accuracy):
    rows = []
    for name, curve in accuracy["curves"].items():
        rows.append(
            [
                name,
                curve["seconds_to_target"],
                max(curve["accuracy"]),
                len(curve["accuracy"]),
                curve["seconds"][-1],
            ]
        )
    table = markdown_table(
        ["contender", "seconds to target", "best accuracy", "epochs/rounds", "total seconds"], rows
    )
    return [
        f"Target held-out accuracy: {accuracy['target']} (99% of the lowest best accuracy "
        "of the three, so that all can reach it). Same network (64 hidden relu units), adam, "
        "batch 200, learning rate 0.001; the accuracy is measured after every epoch (round) "
        "and not timed. DataParallel's times start at `fit` and include its setup.",
        "",
        table,
        "",
    ]


def _memory(memory):
    rows = [
        [
            addr.rsplit(":", 1)[-1],
            w["baseline_rss"] / 2**20,
            w["peak_rss"] / 2**20,
            w["peak_over_baseline_in_partitions"],
        ]
        for addr, w in memory["workers"].items()
    ]
    table = markdown_table(
        ["worker (port)", "RSS before fit, MiB", "peak RSS, MiB", "increase, in partitions"], rows
    )
    m = memory
    return [
        f"{m['rows']:,} rows, generated partition by partition ({m['partitions']} partitions "
        f"of {m['partition_bytes'] / 2**20:.1f} MiB), {m['dataset_bytes'] / 2**30:.2f} GiB in "
        f"all: {m['dataset_over_limit']:.1f}x one worker's memory limit "
        f"({m['memory_limit_bytes'] / 2**20:.0f} MiB). One averaging round (adam, batch 1000) "
        f"with `persist=False` took {m['fit_s']:.0f} s; workers unchanged (none killed or "
        f"restarted): {m['workers_unchanged']}. *increase*: peak minus the RSS before the fit "
        "(after the imports), in partitions.",
        "",
        table,
        "",
    ]
