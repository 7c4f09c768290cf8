"""Cluster, data and measuring tools of ``benchmarks/dask_scaling.py``.

A process-based LocalCluster with one BLAS thread per worker, a teacher
dataset generated per block on the workers, the machine's parallel
capacity, the timing of DataParallel's passes, and a resident-memory
sampler that runs inside each worker.
"""

from __future__ import annotations

import os
import statistics
import time
from contextlib import contextmanager

import numpy as np

# Worker processes inherit these: one BLAS thread per worker.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

N_CLASSES = 10


# ----------------------------------------------------------------- cluster


@contextmanager
def cluster(n_workers, memory_limit="6GiB"):
    """A LocalCluster of worker processes, one thread each, and its client."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
            silence_logs=40,
        ) as local,
        Client(local) as client,
    ):
        client.wait_for_workers(n_workers)
        client.run(_warm_up)  # imports first, so no fit pays for them
        yield client


def _warm_up():
    import sklearn.neural_network  # noqa: F401

    import sknet.dask._worker  # noqa: F401


# -------------------------------------------------------------------- data


def teacher_blocks(n_rows, n_features, chunk, seed=0):
    """Rows labelled by a random one-hidden-layer teacher, generated per block.

    Returns dask arrays ``X`` (float32) and ``y`` (int64) whose blocks are
    drawn where they are computed, from ``seed`` and the block's index, so
    nothing is generated on the client and a block can be recomputed
    anywhere. The teacher is the same for every ``seed``.
    """
    import dask.array as da
    from dask import delayed

    rng = np.random.default_rng(12345)
    W1 = (rng.standard_normal((n_features, 64)) / np.sqrt(n_features)).astype(np.float32)
    W2 = (rng.standard_normal((64, N_CLASSES)) / 4).astype(np.float32)
    sizes = [min(chunk, n_rows - start) for start in range(0, n_rows, chunk)]
    block = delayed(_teacher_block, pure=True, nout=2)
    pairs = [block(rows, W1, W2, seed, i) for i, rows in enumerate(sizes)]
    X = da.concatenate(
        [da.from_delayed(p[0], (r, n_features), np.float32) for p, r in zip(pairs, sizes)]
    )
    y = da.concatenate([da.from_delayed(p[1], (r,), np.int64) for p, r in zip(pairs, sizes)])
    return X, y


def _teacher_block(rows, W1, W2, seed, index):
    rng = np.random.default_rng([seed, index])
    X = rng.standard_normal((rows, W1.shape[0]), dtype=np.float32)
    logits = np.tanh(X @ W1) @ W2
    logits += 0.1 * rng.standard_normal(logits.shape, dtype=np.float32)
    return X, logits.argmax(axis=1).astype(np.int64)


def parallel_capacity(seconds=3.0):
    """Throughput of two single-threaded BLAS processes at once over one alone.

    2.0 on an idle 2-core machine; about 1.0 when other jobs leave the
    equivalent of one core, which caps any 2-worker speedup at the same.
    """
    import subprocess
    import sys

    code = (
        "import time, numpy as np; a = np.ones((600, 600), np.float32); n = 0; "
        f"t = time.perf_counter()\nwhile time.perf_counter() - t < {seconds}: a @ a; n += 1\n"
        "print(n / (time.perf_counter() - t))"
    )

    def rates(k):
        procs = [
            subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(k)
        ]
        return [float(p.communicate()[0]) for p in procs]

    alone, pair = rates(1), rates(2)
    return {"alone": alone[0], "pair": pair, "capacity": sum(pair) / alone[0]}


# ------------------------------------------------------- pass instrumentation


class Passes:
    """Wall-clock windows of every map-reduce pass of a DataParallel fit.

    Wraps ``sknet.dask._fit.Run.map`` (a benchmark may look inside) and
    records ``(start, end, function name, parameters)``, the parameters being
    a copy of the vector the pass was sent (None for other passes).
    """

    def __init__(self):
        self.records = []

    def __enter__(self):
        from sknet.dask import _fit

        self._fit, self._map = _fit, _fit.Run.map
        records, original = self.records, self._map

        def timed(run, fn, items, *shared, **kwargs):
            start = time.time()
            result = original(run, fn, items, *shared, **kwargs)
            theta = shared[0].copy() if shared and isinstance(shared[0], np.ndarray) else None
            records.append((start, time.time(), fn.__name__, theta))
            return result

        _fit.Run.map = timed
        return self

    def __exit__(self, *exc):
        self._fit.Run.map = self._map

    def windows(self, name):
        return [(a, b) for a, b, fn, _ in self.records if fn == name]


def busy_seconds(tasks, window):
    """The busiest worker's compute seconds inside ``window`` (from the task stream)."""
    start, end = window
    busy = {}
    for task in tasks:
        for interval in task.get("startstops", ()):
            if interval["action"] == "compute":
                overlap = min(end, interval["stop"]) - max(start, interval["start"])
                if overlap > 0:
                    busy[task["worker"]] = busy.get(task["worker"], 0.0) + overlap
    return max(busy.values(), default=0.0)


def split_passes(tasks, windows):
    """Median wall, compute and other seconds per pass."""
    walls = [b - a for a, b in windows]
    computes = [busy_seconds(tasks, w) for w in windows]
    return {
        "passes": len(windows),
        "total_wall_s": sum(walls),
        "wall_s": statistics.median(walls),
        "compute_s": statistics.median(computes),
        "other_s": statistics.median(w - c for w, c in zip(walls, computes)),
    }


# ------------------------------------------------------------- memory sampler


def start_sampler(dask_worker):
    """Sample this worker's resident memory every 10 ms in a thread; returns RSS now."""
    import threading

    import psutil

    process = psutil.Process()
    state = {"peak": process.memory_info().rss, "stop": threading.Event()}

    def sample():
        while not state["stop"].wait(0.01):
            state["peak"] = max(state["peak"], process.memory_info().rss)

    state["thread"] = threading.Thread(target=sample, daemon=True)
    state["thread"].start()
    dask_worker._sknet_sampler = state
    return state["peak"]


def stop_sampler(dask_worker):
    state = dask_worker._sknet_sampler
    state["stop"].set()
    state["thread"].join()
    return state["peak"]
