"""The default configuration, where most users train: speed and where the time goes.

    python -m benchmarks.default [--repeats 7] [--epochs 5] [--threads 1] [--rows 20000]
                                 [--dtype float32 float64] [--out benchmarks/results]

20,000 x 50 synthetic rows, 5 classes, scikit-learn's defaults: hidden (100,),
relu, adam, batch 200, alpha 1e-4, learning rate 1e-3. Three parts, each with
the contenders in turns in one process and BLAS pinned (see ``_harness``):

1. training: ms/epoch of sknet's and scikit-learn's ``fit`` (``max_iter =
   epochs``, no early stop) and of the GEMM floor (only the matrix products
   of an epoch); paired ratios of wall-clock and of CPU time (this thread's),
   the second less disturbed by other work on a shared machine;
2. prediction: ``predict`` and ``predict_proba`` on 10,000 rows and on one row,
   sknet against scikit-learn holding the same weights (CPU time), in a
   steady loop and as the first call after ``gc.collect()``;
3. profile: the core's minibatch loop (``sknet.nn``: gather, forward, loss and
   output delta, backward, L2 term, optimizer; the steps of
   ``MLP.loss_grad`` and ``training.run_epoch``) run for whole epochs with
   each phase timed in place, next to the same loop untimed and the matrix
   products of one batch alone: where a minibatch's time goes.

Prints the tables and writes ``default.md`` and ``default.json`` to ``--out``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/default.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

import numpy as np

from . import _contenders as C
from ._harness import (
    RESULTS_DIR,
    GemmFloor,
    Timings,
    alternate,
    fmt,
    log,
    machine_info,
    markdown_table,
    pinned_threads,
    write_json,
)

ROWS, FEATURES, CLASSES, HIDDEN, BATCH = 20_000, 50, 5, (100,), 200
PARAMS = dict(hidden_layer_sizes=HIDDEN, solver="adam", batch_size=BATCH, random_state=0)
PHASES = ("gather", "forward", "loss and delta", "backward", "L2 term", "optimizer")


def clocked(fn, walls: list, per=lambda result: 1) -> float:
    """CPU seconds of this thread for ``fn()``, divided by ``per(fn())``; the
    wall-clock seconds, divided the same way, are appended to ``walls``."""
    wall, cpu = time.perf_counter(), time.thread_time()
    result = fn()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    walls.append(wall / per(result))
    return cpu / per(result)


# --------------------------------------------------------------------------
# 1. training


def training(dtype: str, epochs: int, repeats: int, rows=ROWS, progress=log) -> dict:
    X, y = C.teacher_data(rows, FEATURES, CLASSES, dtype)
    params = dict(PARAMS, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)
    floor = GemmFloor(rows, [FEATURES, *HIDDEN, CLASSES], BATCH, dtype)
    walls = {name: [] for name in ("sknet", "sklearn", "floor")}

    def fitter(name):
        def run():
            model = C.make_mlp(name, "classification", params, dtype)
            return clocked(lambda: C.quiet_fit(model, X, y), walls[name], lambda m: m.n_iter_)

        return run

    def gemm():
        return clocked(floor.epoch, walls["floor"])

    cpu = alternate(
        {"sknet": fitter("sknet"), "sklearn": fitter("sklearn"), "floor": gemm},
        repeats,
        progress=progress,
    )
    wall = Timings({name: values[-repeats:] for name, values in walls.items()})  # no warm-up
    return {
        "dtype": dtype,
        "epochs": epochs,
        "rounds": repeats,
        "ms_cpu": {k: 1e3 * cpu.median(k) for k in cpu.rounds},
        "ms_wall": {k: 1e3 * wall.median(k) for k in wall.rounds},
        "ratio_cpu": _ratios(cpu),
        "ratio_wall": _ratios(wall),
    }


def _ratios(t: Timings) -> dict:
    return {
        "sknet/floor": t.ratio("sknet", "floor"),
        "sklearn/floor": t.ratio("sklearn", "floor"),
        "sklearn/sknet": t.ratio("sklearn", "sknet"),
    }


# --------------------------------------------------------------------------
# 2. prediction


def prediction(dtype: str, repeats: int, rows=ROWS, progress=log) -> list[dict]:
    """Each call timed two ways, contenders alternating (``alternate`` runs
    ``gc.collect()`` before each turn, which also flushes the CPU caches):
    ``steady``, the mean of many calls after an untimed one (a serving
    loop), and ``after gc``, the first call of a turn (with cold caches:
    about 40% slower on 10,000 rows, for both libraries, when this was
    written)."""
    X, y = C.teacher_data(rows, FEATURES, CLASSES, dtype)
    params = dict(PARAMS, max_iter=2)
    ours = C.quiet_fit(C.make_mlp("sknet", "classification", params, dtype), X, y)
    theirs = C.quiet_fit(C.make_mlp("sklearn", "classification", params, dtype), X, y)
    theirs.coefs_ = [W.copy() for W in ours.coefs_]
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
    results = []
    for n, calls in ((min(10_000, rows), 10), (1, 300)):
        Xp = X[:n].copy()
        for method in ("predict", "predict_proba"):
            for mode in ("steady", "after gc"):
                contenders = {
                    name: _caller(getattr(model, method), Xp, calls, mode)
                    for name, model in (("sknet", ours), ("sklearn", theirs))
                }
                t = alternate(contenders, repeats, progress=progress)
                results.append(
                    {
                        "dtype": dtype,
                        "rows": n,
                        "method": method,
                        "mode": mode,
                        "us_cpu": {k: 1e6 * t.median(k) for k in t.rounds},
                        "sklearn/sknet": t.ratio("sklearn", "sknet"),
                    }
                )
    return results


def _caller(fn, X, calls, mode):
    """CPU seconds of one ``fn(X)``: the mean of ``calls`` calls after an
    untimed one (``"steady"``), or the first call of a turn (``"after gc"``)."""

    def steady():
        fn(X)
        start = time.thread_time()
        for _ in range(calls):
            fn(X)
        return (time.thread_time() - start) / calls

    def after_gc():
        start = time.thread_time()
        fn(X)
        return time.thread_time() - start

    return steady if mode == "steady" else after_gc


# --------------------------------------------------------------------------
# 3. profile of a minibatch


def profile(dtype: str, epochs: int, repeats: int, n_rows=ROWS) -> dict:
    """Microseconds per minibatch of each phase of the core's loop, in place."""
    loop = _MinibatchLoop(dtype, n_rows)
    floor = _BatchProducts(loop.net, dtype)
    batches = -(-n_rows // BATCH)
    per_round = {phase: [] for phase in (*PHASES, "whole batch, untimed")}
    products = {"forward": [], "backward": []}
    for _ in range(repeats):
        spent = dict.fromkeys(PHASES, 0.0)
        for _ in range(epochs):
            loop.timed_epoch(spent)
        for phase in PHASES:
            per_round[phase].append(1e6 * spent[phase] / (epochs * batches))
        whole = sum(loop.plain_epoch() for _ in range(epochs))
        per_round["whole batch, untimed"].append(1e6 * whole / (epochs * batches))
        for part, seconds in floor.time(batches).items():
            products[part].append(1e6 * seconds)
    us = {phase: statistics.median(values) for phase, values in per_round.items()}
    us_products = {part: statistics.median(values) for part, values in products.items()}
    return {"dtype": dtype, "us": us, "us_products": us_products}


class _MinibatchLoop:
    """The core's minibatch loop on the default configuration: the batches
    gathered as ``training.run_epoch`` gathers them, then ``MLP.loss_grad``
    and the Adam update, whole or step by step."""

    def __init__(self, dtype, n_rows):
        from sknet.nn import MLP
        from sknet.nn.optimizers import Adam

        X, y = C.teacher_data(n_rows, FEATURES, CLASSES, dtype)
        self.X, self.Y, self.n_rows = X, np.eye(CLASSES, dtype=dtype)[y], n_rows
        self.net = MLP((FEATURES, *HIDDEN, CLASSES), "relu", "log_loss", dtype)
        self.theta, self.opt = self.net.init(np.random.RandomState(0)), Adam()
        self.state, self.ws = self.opt.init(self.theta), self.net.workspace(BATCH)
        self.X_buf = np.empty((BATCH, FEATURES), dtype)
        self.Y_buf = np.empty((BATCH, CLASSES), dtype)
        self.rng, self.alpha = np.random.RandomState(0), 1e-4

    def batches(self):
        order = self.rng.permutation(self.n_rows)
        for start in range(0, self.n_rows, BATCH):
            rows = order[start : start + BATCH]
            X = self.X.take(rows, axis=0, out=self.X_buf[: len(rows)], mode="clip")
            yield X, self.Y.take(rows, axis=0, out=self.Y_buf[: len(rows)], mode="clip")

    def plain_epoch(self) -> float:
        net, theta, ws, started = self.net, self.theta, self.ws, time.thread_time()
        for X, Y in self.batches():
            net.loss_grad(theta, X, Y, None, self.alpha, ws)
            self.opt.update(theta, ws.grad, self.state, 1e-3)
        return time.thread_time() - started

    def timed_epoch(self, spent: dict) -> None:
        from sknet.nn.losses import loss_and_delta

        net, theta, ws, clock = self.net, self.theta, self.ws, time.thread_time
        Ws, bs = ws.views(theta)
        batches, t0 = self.batches(), clock()
        for X, Y in batches:
            t1 = clock()
            Z = net.forward(Ws, bs, X, ws)
            t2 = clock()
            loss_and_delta(net.loss, Z, Y)
            Z *= 1.0 / len(X)
            t3 = clock()
            net.backward(Ws, X, Z, ws)
            t4 = clock()
            net.add_penalty_grad(theta, self.alpha, len(X), ws.grad)
            net.penalty(theta, self.alpha, len(X))
            t5 = clock()
            self.opt.update(theta, ws.grad, self.state, 1e-3)
            marks = (t0, t1, t2, t3, t4, t5, clock())
            for phase, begin, end in zip(PHASES, marks, marks[1:]):
                spent[phase] += end - begin
            t0 = clock()  # the next batch's gathering starts here


class _BatchProducts:
    """The matrix products of one minibatch (forward, backward), on warm buffers."""

    def __init__(self, net, dtype):
        rng = np.random.default_rng(0)
        shapes = list(zip(net.sizes[:-1], net.sizes[1:]))
        self.layers = [
            {
                "A": rng.standard_normal((BATCH, i)).astype(dtype),
                "W": rng.standard_normal((i, o)).astype(dtype),
                "Z": np.empty((BATCH, o), dtype),
                "dW": np.empty((i, o), dtype),
                "dA": np.empty((BATCH, i), dtype),
            }
            for i, o in shapes
        ]

    def time(self, calls: int) -> dict:
        clock, matmul = time.thread_time, np.matmul
        start = clock()
        for _ in range(calls):
            for lay in self.layers:
                matmul(lay["A"], lay["W"], out=lay["Z"])
        middle = clock()
        for _ in range(calls):
            for i, lay in enumerate(self.layers):
                matmul(lay["A"].T, lay["Z"], out=lay["dW"])
                if i:
                    matmul(lay["Z"], lay["W"].T, out=lay["dA"])
        end = clock()
        return {"forward": (middle - start) / calls, "backward": (end - middle) / calls}


# --------------------------------------------------------------------------
# report


def tables(results: dict) -> str:
    parts = ["### Training (ms/epoch; ratios are paired medians)", ""]
    rows = []
    for r in results["training"]:
        for clock in ("cpu", "wall"):
            ms, ratio = r[f"ms_{clock}"], r[f"ratio_{clock}"]
            rows.append(
                [
                    r["dtype"],
                    "CPU" if clock == "cpu" else "wall",
                    ms["sknet"],
                    ms["sklearn"],
                    ms["floor"],
                    ratio["sknet/floor"],
                    ratio["sklearn/floor"],
                    ratio["sklearn/sknet"],
                ]
            )
    header = ["dtype", "clock", "sknet", "scikit-learn", "GEMM floor"]
    header += ["sknet ÷ floor", "sklearn ÷ floor", "sklearn ÷ sknet"]
    parts += [markdown_table(header, rows), ""]

    parts += ["### Prediction (µs per call, CPU time; same weights)", ""]
    parts += [
        "*steady*: the mean of many calls in a row; *after gc*: the first call after "
        "`gc.collect()`, whose traversal of every object flushes the CPU caches.",
        "",
    ]
    rows = [
        [
            p["dtype"],
            f"{p['method']}, {p['rows']:,} row{'s' if p['rows'] > 1 else ''}",
            p.get("mode", "steady"),
            p["us_cpu"]["sknet"],
            p["us_cpu"]["sklearn"],
            p["sklearn/sknet"],
        ]
        for p in results["prediction"]
    ]
    header = ["dtype", "call", "timing", "sknet", "scikit-learn", "sklearn ÷ sknet"]
    parts += [markdown_table(header, rows), ""]

    parts += ["### Where a minibatch's time goes (µs per batch of 200, CPU time)", ""]
    profiles = results["profile"]
    rows = []
    for phase in (*PHASES, "sum of the phases", "whole batch, untimed", "matrix products alone"):
        row = [phase]
        for p in profiles:
            us = p["us"]
            if phase == "sum of the phases":
                value = sum(us[k] for k in PHASES)
            elif phase == "matrix products alone":
                value = sum(p["us_products"].values())
            else:
                value = us[phase]
            note = ""
            if phase in ("forward", "backward"):
                note = f" ({fmt(p['us_products'][phase])} products)"
            row.append(f"{fmt(value)}{note}")
        rows.append(row)
    parts += [markdown_table(["phase", *(p["dtype"] for p in profiles)], rows), ""]
    return "\n".join(parts)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=ROWS, help="training rows (default 20,000)")
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    results = {"training": [], "prediction": [], "profile": []}
    started = time.perf_counter()
    C.sknet_estimators(), C.sklearn_estimators()  # load every BLAS before pinning them all
    with pinned_threads(args.threads):
        results["machine"] = machine_info(args.threads)
        for dtype in args.dtype:
            log(f"default [{dtype}]: training ...")
            results["training"].append(training(dtype, args.epochs, args.repeats, args.rows))
            log(f"default [{dtype}]: prediction ...")
            results["prediction"] += prediction(dtype, args.repeats, args.rows)
            log(f"default [{dtype}]: profile ...")
            results["profile"].append(profile(dtype, args.epochs, args.repeats, args.rows))
    results["seconds"] = time.perf_counter() - started
    text = tables(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    write_json(args.out / "default.json", results)
    m = results["machine"]
    header = [
        "# The default configuration",
        "",
        f"`python -m benchmarks.default` ({args.repeats} rounds, {args.epochs} epochs per "
        f"round, {args.threads} BLAS thread), {m['date']}, {m['cpu']}, git "
        f"{m['git_commit']}; {args.rows:,} x {FEATURES}, {CLASSES} classes, hidden {HIDDEN}, "
        f"adam, batch {BATCH}. See the script's docstring for what each part measures.",
        "",
        "",
    ]
    (args.out / "default.md").write_text("\n".join(header) + text + "\n")
    return results


if __name__ == "__main__":
    main()
