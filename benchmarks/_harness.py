"""Timing, thread pinning, machine description and Markdown output.

Every benchmark in this folder measures its contenders the same way:
:func:`alternate` runs them in turns inside one process (the order rotates
each round), so a noisy neighbour slows all of them alike, and the figure
that counts is the *paired* ratio: the median over rounds of the ratio
measured within one round.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------
# threads


@contextlib.contextmanager
def pinned_threads(n_threads: int):
    """Limit BLAS and OpenMP (and torch, if imported) to ``n_threads``."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=n_threads):
        if torch is not None:
            torch.set_num_threads(n_threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(old_torch)


def blas_description() -> list[dict]:
    """What threadpoolctl reports: library, version, kernel, thread count."""
    from threadpoolctl import threadpool_info

    keep = (
        "user_api",
        "internal_api",
        "prefix",
        "version",
        "architecture",
        "threading_layer",
        "num_threads",
    )
    return [{k: info.get(k) for k in keep} for info in threadpool_info()]


# --------------------------------------------------------------------------
# timing


@dataclass
class Timings:
    """Seconds per unit of work for each contender, one value per round."""

    rounds: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.rounds[name])

    def spread(self, name: str) -> float:
        """(max - min) / median over rounds: how noisy this contender was."""
        values = self.rounds[name]
        return (max(values) - min(values)) / statistics.median(values)

    def ratio(self, slower: str, faster: str) -> float:
        """Paired ratio ``slower / faster``: the median of per-round ratios."""
        pairs = zip(self.rounds[slower], self.rounds[faster])
        return statistics.median(s / f for s, f in pairs)

    def __contains__(self, name: str) -> bool:
        return name in self.rounds


def alternate(
    contenders: dict[str, Callable[[], float]],
    repeats: int,
    warmup: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Timings:
    """Run each contender ``repeats`` times, in turns, rotating the order.

    Each contender is a callable that does its work and returns the measured
    seconds per unit (it times itself, so it can leave setup out). A
    contender that raises is dropped and its error reported through
    ``progress``.
    """
    names = list(contenders)
    timings = Timings({name: [] for name in names})
    if warmup:
        for name in list(names):
            if not _call(contenders[name], name, progress):
                names.remove(name)
                del timings.rounds[name]
    for r in range(repeats):
        shift = r % max(len(names), 1)
        for name in names[shift:] + names[:shift]:
            if name not in timings.rounds:
                continue
            value = _call(contenders[name], name, progress)
            if value is None:
                del timings.rounds[name]
            else:
                timings.rounds[name].append(value)
    return timings


def _call(fn, name, progress):
    gc.collect()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn()
    except Exception as exc:  # a contender's failure must not end the suite
        if progress:
            progress(f"  ! {name} failed: {type(exc).__name__}: {exc}")
        return None


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """``(seconds, result)`` of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def repeat_min_per_call(
    fn: Callable[[], object], min_seconds: float = 0.05, max_calls: int = 100_000
) -> float:
    """Seconds per call of a fast function, from a loop lasting ``min_seconds``."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds or calls >= max_calls:
            return elapsed / calls


# --------------------------------------------------------------------------
# the GEMM floor


class GemmFloor:
    """Time only the matrix products one epoch of backprop needs.

    Per minibatch of ``m`` rows and per layer ``fan_in -> fan_out``: the
    forward ``A @ W`` (m x fan_in x fan_out), the weight gradient
    ``A.T @ dZ``, and, for every layer but the first, ``dZ @ W.T``. All
    operands are preallocated, of the benchmark's dtype, and the products
    write into preallocated outputs, so nothing but BLAS is timed.
    """

    def __init__(self, n_samples: int, layer_sizes: list[int], batch_size: int, dtype):
        rng = np.random.default_rng(0)
        batch_size = min(batch_size, n_samples)
        n_full, rest = divmod(n_samples, batch_size)
        self.plan = [(batch_size, n_full)] + ([(rest, 1)] if rest else [])
        self.buffers = {}
        for m, _ in self.plan:

            def make(*shape):
                return rng.standard_normal(shape).astype(dtype)

            self.buffers[m] = [
                dict(
                    A=make(m, fan_in),
                    W=make(fan_in, fan_out),
                    Z=make(m, fan_out),
                    dZ=make(m, fan_out),
                    dW=make(fan_in, fan_out),
                    dA=make(m, fan_in),
                )
                for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:])
            ]
        pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
        per_row = 3 * sum(a * b for a, b in pairs) - pairs[0][0] * pairs[0][1]
        self.flops = 2 * n_samples * per_row

    def epoch(self) -> float:
        """Seconds for the products of one epoch."""
        matmul = np.matmul
        start = time.perf_counter()
        for m, count in self.plan:
            layers = self.buffers[m]
            for _ in range(count):
                for lay in layers:
                    matmul(lay["A"], lay["W"], out=lay["Z"])
                for i in range(len(layers) - 1, -1, -1):
                    lay = layers[i]
                    matmul(lay["A"].T, lay["dZ"], out=lay["dW"])
                    if i:
                        matmul(lay["dZ"], lay["W"].T, out=lay["dA"])
        return time.perf_counter() - start


# --------------------------------------------------------------------------
# machine description


def machine_info(n_threads: int) -> dict:
    """CPU, cores, BLAS and library versions, for the results' header."""
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "threads_pinned": n_threads,
        "blas": blas_description(),
        "env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
            )
            if k in os.environ
        },
        "versions": library_versions(),
        "git_commit": _git_commit(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        config = torch.__config__.show()
        info["torch_backend"] = {
            "blas": next(
                (
                    part.split("=")[1]
                    for part in config.replace(",", "\n").split()
                    if part.startswith("BLAS_INFO=")
                ),
                None,
            ),
            "cpu_capability": next(
                (
                    ln.split(":")[1].strip()
                    for ln in config.splitlines()
                    if "CPU capability usage" in ln
                ),
                None,
            ),
            "threads": torch.get_num_threads(),
        }
    return info


def library_versions() -> dict[str, str | None]:
    versions = {}
    for name in (
        "sknet",
        "numpy",
        "scipy",
        "sklearn",
        "threadpoolctl",
        "onnx",
        "onnxruntime",
        "skl2onnx",
        "torch",
        "matplotlib",
    ):
        try:
            versions[name] = getattr(importlib.import_module(name), "__version__", "?")
        except Exception:
            versions[name] = None
    return versions


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
            else:
                model = platform.processor()
        with open("/proc/cpuinfo") as f:
            flags = next((ln for ln in f if ln.startswith("flags")), "")
        simd = [s for s in ("avx512f", "avx2", "fma", "avx") if f" {s}" in flags]
        return f"{model} ({', '.join(simd)})" if simd else model
    except OSError:
        return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(ln for ln in f if ln.startswith("MemTotal")).split()[1])
        return round(kib / 2**20, 1)
    except (OSError, StopIteration):
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or None
    except Exception:
        return None


# --------------------------------------------------------------------------
# output


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub Markdown table; numbers right-aligned and formatted by :func:`fmt`."""
    numeric = [
        all(isinstance(row[i], (int, float)) or row[i] is None for row in rows)
        for i in range(len(header))
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if num else "---" for num in numeric) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(v) for v in row) + " |")
    return "\n".join(lines)


def fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:
            return "–"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        if abs(value) >= 0.01:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(obj):
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def log(message: str) -> None:
    print(message, flush=True)
