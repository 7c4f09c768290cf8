"""Peak training memory of one fit, measured in a fresh process.

Run by :mod:`benchmarks.scaling` as ``python -m benchmarks._memprobe ...``;
prints one JSON line. The data are generated in place first; then the fit
is measured two ways:

* ``traced``: tracemalloc's peak during ``fit`` (NumPy's allocations are
  traced), i.e. the bytes the fit allocated on top of what already existed;
* ``rss``: the process's peak resident size during ``fit`` (``VmHWM``,
  reset just before through ``/proc/self/clear_refs``) minus its resident
  size just before ``fit``, which also sees BLAS buffers and anything
  allocated outside Python's tracer (Linux only; ``None`` elsewhere).
"""

from __future__ import annotations

import argparse
import json
import tracemalloc


def _status_bytes(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            line = next(ln for ln in f if ln.startswith(field + ":"))
        return int(line.split()[1]) * 1024
    except (OSError, StopIteration):
        return None


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["sknet", "sklearn"], required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument(
        "--classes",
        type=int,
        default=10,
        help="number of classes; 0 fits an MLPRegressor on a float target",
    )
    parser.add_argument("--hidden", type=int, nargs="+", default=[64])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    from . import _contenders as C

    params = dict(
        hidden_layer_sizes=tuple(args.hidden),
        solver="sgd",
        batch_size=args.batch,
        learning_rate_init=0.01,
        max_iter=args.epochs,
        tol=0.0,
        n_iter_no_change=args.epochs + 1,
        shuffle=True,
        random_state=0,
    )
    task = "classification" if args.classes else "regression"
    model = C.make_mlp(args.library, task, params, args.dtype)
    stand_in = args.library == "sknet" and C.sknet_estimators()[2]
    X, y = C.teacher_data(args.n, args.features, args.classes or None, args.dtype)
    data_bytes = X.nbytes + y.nbytes
    with threadpool_limits(limits=args.threads):
        can_reset = _reset_peak_rss()
        rss_before = _status_bytes("VmRSS")
        tracemalloc.start()
        C.quiet_fit(model, X, y)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak_rss = _status_bytes("VmHWM")
    rss_extra = peak_rss - rss_before if can_reset and peak_rss and rss_before else None
    print(
        json.dumps(
            {
                "library": args.library,
                "stand_in": bool(stand_in),
                "n": args.n,
                "task": task,
                "features": args.features,
                "hidden": args.hidden,
                "dtype": args.dtype,
                "data_bytes": data_bytes,
                "traced_extra": traced_peak,
                "rss_extra": rss_extra,
                "rss_before": rss_before,
                "traced_ratio": (data_bytes + traced_peak) / data_bytes,
                "rss_ratio": None if rss_extra is None else (data_bytes + rss_extra) / data_bytes,
            }
        )
    )


if __name__ == "__main__":
    main()
