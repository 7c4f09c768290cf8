"""sknet.dask.DataParallel on a process-based LocalCluster (one thread per worker).

Three measurements, in one run, BLAS pinned to one thread everywhere:

1. **Strong scaling**: seconds per L-BFGS iteration and per federated-averaging
   round at 1 and 2 workers on the same lazily generated data (rows x
   features float32, 10 classes), kept on the workers; the configurations
   alternate (1, 2, 2, 1, ...) and the medians are reported, with
   efficiency ``t1 / (2 t2)``. Every pass is split into the workers'
   compute time (from Dask's task stream) and the rest: scheduler latency,
   serialisation, the client's own work.
2. **Time to accuracy**: held-out accuracy against wall time for
   DataParallel(strategy='average'), dask-ml's ``Incremental`` around
   scikit-learn's ``MLPClassifier.partial_fit`` (or, without dask-ml, the
   same sequential block loop as Dask tasks) and a local sknet fit.
3. **Out of core**: peak resident memory of each worker while training with
   ``persist=False`` on data generated per partition, several times larger
   than one worker's memory limit.

Run from the repository root (workers import this checkout's sknet)::

    python -m benchmarks.dask_scaling            # the full run, ~15-25 min on 2 shared cores
    python -m benchmarks.dask_scaling --quick    # a smoke run of the same code, ~2 min

Writes ``results.json``, ``results.md`` and ``machine.json`` to
``benchmarks/results/dask/`` (``.../dask/quick/`` for ``--quick``).
"""

from __future__ import annotations

import argparse
import copy
import os
import time
import warnings
from pathlib import Path

import numpy as np

from ._dask_report import write_report
from ._dask_tools import (  # sets one BLAS thread for the worker processes
    N_CLASSES,
    Passes,
    cluster,
    parallel_capacity,
    split_passes,
    start_sampler,
    stop_sampler,
    teacher_blocks,
)
from ._harness import RESULTS_DIR, log, machine_info, pinned_threads, write_json

HIDDEN = (64,)


# --------------------------------------------------------- 1. strong scaling


def strong_scaling(args):
    """L-BFGS iterations and averaging rounds at 1 and 2 workers, alternating."""
    from distributed import get_task_stream, wait

    from sknet import MLPClassifier
    from sknet.dask import DataParallel

    lbfgs = MLPClassifier(HIDDEN, solver="lbfgs", max_iter=args.iterations, tol=0, random_state=0)
    adam = MLPClassifier(HIDDEN, solver="adam", max_iter=args.rounds, tol=0, random_state=0)
    order = [1, 2, 2, 1] * args.repeats
    runs = {1: [], 2: []}
    for n_workers in order:
        log(f"strong scaling: {n_workers} worker(s)")
        with cluster(n_workers) as client:
            X, y = teacher_blocks(args.rows, args.features, args.rows // 4)
            X, y = client.persist([X, y])
            wait([X, y])
            run = {"load_before": os.getloadavg()[0], "capacity": parallel_capacity()}
            for name, model in (
                ("lbfgs", DataParallel(lbfgs)),
                ("average", DataParallel(adam, strategy="average")),
            ):
                with get_task_stream(client) as stream, Passes() as passes:
                    started = time.time()
                    model.fit(X, y)
                    fit_s = time.time() - started
                fn = "full_sums" if name == "lbfgs" else "local_round"
                windows = passes.windows(fn)
                run[name] = split_passes(stream.data, windows)
                run[name]["fit_s"] = fit_s
                run[name]["solver_s"] = windows[-1][1] - windows[0][0]
                run[name]["n_iter"] = model.estimator_.n_iter_
            run["load_after"] = os.getloadavg()[0]
            runs[n_workers].append(run)
    return {"runs": runs, "local": local_baseline(args, lbfgs, adam)}


def local_baseline(args, lbfgs, adam):
    """The same fits in this process, on the same rows, without Dask."""
    import dask
    from sklearn.base import clone

    X, y = dask.compute(*teacher_blocks(args.rows, args.features, args.rows // 4), scheduler="sync")
    out = {}
    for name, est in (("lbfgs", clone(lbfgs)), ("adam_epoch", clone(adam).set_params(max_iter=1))):
        started = time.perf_counter()
        est.fit(X, y)
        out[name] = {"fit_s": time.perf_counter() - started, "n_iter": est.n_iter_}
    return out


# -------------------------------------------------------- 2. time to accuracy


def time_to_accuracy(args):
    """Held-out accuracy against wall time for three ways to train."""
    import dask
    from distributed import wait

    with cluster(2) as client:
        X, y = teacher_blocks(args.acc_rows, args.features, args.acc_rows // 2, seed=1)
        X, y = client.persist([X, y])
        wait([X, y])
        test = teacher_blocks(args.acc_test, args.features, args.acc_test, seed=2)
        X_test, y_test = dask.compute(*test, scheduler="sync")
        curves = {
            "DataParallel average (2 workers)": averaging_curve(args, X, y, X_test, y_test),
            incremental_name(): incremental_curve(args, X, y, X_test, y_test),
        }
        X_local, y_local = dask.compute(X, y)
    curves["sknet local fit (1 process)"] = local_curve(args, X_local, y_local, X_test, y_test)
    target = args.target or round(0.99 * min(max(c["accuracy"]) for c in curves.values()), 3)
    for curve in curves.values():
        reached = [t for t, a in zip(curve["seconds"], curve["accuracy"]) if a >= target]
        curve["seconds_to_target"] = reached[0] if reached else None
    return {"target": target, "curves": curves}


def averaging_curve(args, X, y, X_test, y_test):
    """Accuracy after each round, from the parameters each round starts from."""
    from sknet import MLPClassifier
    from sknet.dask import DataParallel

    net = MLPClassifier(HIDDEN, max_iter=args.epochs, tol=0, random_state=0)
    model = DataParallel(net, strategy="average")
    with Passes() as passes:
        started = time.time()
        model.fit(X, y)
    rounds = [r for r in passes.records if r[2] == "local_round"]
    est = model.estimator_
    thetas = [theta for *_, theta in rounds[1:]]
    thetas.append(_bridge_pack(est))
    return {
        "seconds": [end - started for _, end, *_ in rounds],
        "accuracy": [_accuracy(est, theta, X_test, y_test) for theta in thetas],
    }


def _bridge_pack(est):
    from sknet.dask import _bridge

    return _bridge.network(est).pack(est.coefs_, est.intercepts_)


def _accuracy(est, theta, X_test, y_test):
    """Held-out accuracy of ``est`` with its parameters replaced by ``theta``."""
    from sknet.dask import _bridge

    model = copy.copy(est)
    model.coefs_, model.intercepts_ = _bridge.network(est).unpack(theta)
    return float(model.score(X_test, y_test))


def incremental_name():
    try:
        import dask_ml  # noqa: F401
    except ImportError:
        return "sequential block loop, sklearn partial_fit (2 workers)"
    return "dask-ml Incremental, sklearn partial_fit (2 workers)"


def incremental_curve(args, X, y, X_test, y_test):
    """scikit-learn's MLPClassifier.partial_fit over the blocks, one after another."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    classes = np.arange(N_CLASSES)
    model = SkMLP(HIDDEN, random_state=0)
    try:
        from dask_ml.wrappers import Incremental
    except ImportError:
        Incremental = None
    wrapper = Incremental(model) if Incremental else _BlockLoop(model)
    seconds, accuracy, elapsed = [], [], 0.0
    for _ in range(args.epochs):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wrapper.partial_fit(X, y, classes=classes)
        elapsed += time.perf_counter() - started
        seconds.append(elapsed)
        accuracy.append(float(wrapper.estimator_.score(X_test, y_test)))
    return {"seconds": seconds, "accuracy": accuracy}


class _BlockLoop:
    """dask-ml's Incremental without dask-ml: the model travels from block to block."""

    def __init__(self, model):
        self.estimator_ = model

    def partial_fit(self, X, y, classes):
        from distributed import get_client

        client = get_client()
        model = client.scatter(self.estimator_)
        for xb, yb in zip(X.to_delayed().ravel(), y.to_delayed().ravel()):
            xb, yb = client.compute([xb, yb])
            model = client.submit(_partial_fit, model, xb, yb, classes)
        self.estimator_ = model.result()


def _partial_fit(model, X, y, classes):
    return model.partial_fit(X, y, classes=classes)


def local_curve(args, X, y, X_test, y_test):
    """A local sknet fit, one epoch (partial_fit) at a time."""
    from sknet import MLPClassifier

    model = MLPClassifier(HIDDEN, random_state=0)
    classes = np.arange(N_CLASSES)
    seconds, accuracy, elapsed = [], [], 0.0
    for _ in range(args.epochs):
        started = time.perf_counter()
        model.partial_fit(X, y, classes=classes)
        elapsed += time.perf_counter() - started
        seconds.append(elapsed)
        accuracy.append(float(model.score(X_test, y_test)))
    return {"seconds": seconds, "accuracy": accuracy}


# ------------------------------------------------------------- 3. out of core


def out_of_core(args):
    """Peak worker memory while training on data many times one worker's limit."""
    from sknet import MLPClassifier
    from sknet.dask import DataParallel

    limit = args.memory_limit_mib * 2**20
    n_rows = args.ooc_rows
    X, y = teacher_blocks(n_rows, args.features, args.ooc_chunk, seed=3)
    partition = args.ooc_chunk * (args.features * 4 + 8)  # X float32 and y int64
    net = MLPClassifier(HIDDEN, batch_size=1000, max_iter=1, random_state=0)
    with cluster(2, memory_limit=limit) as client:
        before = set(client.scheduler_info(n_workers=-1)["workers"])
        baseline = client.run(start_sampler)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = DataParallel(net, strategy="average", persist=False).fit(X, y)
        seconds = time.perf_counter() - started
        peaks = client.run(stop_sampler)
        after = set(client.scheduler_info(n_workers=-1)["workers"])
    dataset = n_rows * (args.features * 4 + 8)
    return {
        "rows": n_rows,
        "dataset_bytes": dataset,
        "memory_limit_bytes": limit,
        "dataset_over_limit": dataset / limit,
        "partition_bytes": partition,
        "partitions": -(-n_rows // args.ooc_chunk),
        "fit_s": seconds,
        "loss": model.estimator_.loss_,
        "workers_unchanged": before == after,
        "workers": {
            addr: {
                "baseline_rss": baseline[addr],
                "peak_rss": peaks[addr],
                "peak_over_baseline_in_partitions": (peaks[addr] - baseline[addr]) / partition,
            }
            for addr in baseline
        },
    }


# ---------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--only", nargs="+", choices=["scaling", "accuracy", "memory"])
    parser.add_argument("--target", type=float, default=None, help="held-out accuracy target")
    parser.add_argument(
        "--report", action="store_true", help="only rewrite results.md from results.json"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.rows, args.features = (40_000, 20) if quick else (1_000_000, 100)
    args.iterations, args.rounds, args.repeats = (3, 1, 1) if quick else (8, 2, 2)
    args.acc_rows, args.acc_test, args.epochs = (
        (20_000, 5_000, 3) if quick else (200_000, 20_000, 12)
    )
    args.ooc_rows, args.ooc_chunk = (200_000, 20_000) if quick else (5_500_000, 50_000)
    args.memory_limit_mib = 512
    out = args.out or (RESULTS_DIR / "dask" / ("quick" if quick else ""))
    if args.report:
        return rewrite_report(out)
    sections = args.only or ["scaling", "accuracy", "memory"]
    results = {"quick": quick, "settings": {k: v for k, v in vars(args).items() if k != "out"}}
    with pinned_threads(1):
        if "scaling" in sections:
            results["scaling"] = strong_scaling(args)
        if "accuracy" in sections:
            results["accuracy"] = time_to_accuracy(args)
        if "memory" in sections:
            results["memory"] = out_of_core(args)
        machine = machine_info(1)
    write_json(out / "results.json", results)
    machine["versions"].update(_dask_versions())
    write_json(out / "machine.json", machine)
    write_report(out / "results.md", results, machine)
    log(f"wrote {out}")
    return results


def rewrite_report(out):
    """results.md again from the results.json and machine.json in ``out``."""
    import json

    results = json.loads((out / "results.json").read_text())
    machine = json.loads((out / "machine.json").read_text())
    results["scaling"]["runs"] = {int(w): r for w, r in results["scaling"]["runs"].items()}
    write_report(out / "results.md", results, machine)
    return results


def _dask_versions():
    import importlib

    versions = {}
    for name in ("dask", "distributed", "dask_ml"):
        try:
            versions[name] = importlib.import_module(name).__version__
        except ImportError:
            versions[name] = None
    return versions


if __name__ == "__main__":
    main()
