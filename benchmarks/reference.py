"""The reference training case alone, with its targets.

    python -m benchmarks.reference [--epochs 3] [--repeats 5] [--threads 1] [--no-torch]

Trains sknet and scikit-learn's MLPClassifier (and PyTorch when installed)
side by side in one process, BLAS pinned to ``--threads`` threads:
15,000 x 100 synthetic 10-class data, hidden (256, 128), sgd with Nesterov
momentum 0.9, batch 200, the same settings for all. Prints ms/epoch, the
paired ratios, and the GEMM floor (only the matrix products an epoch needs)
at float32 and float64, against the targets: sknet >= 1.5x faster than
scikit-learn at float32 and >= 2x at float64, and <= 1.5x the floor at
float32.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/reference.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from . import _contenders as C
from ._harness import blas_description, log, pinned_threads
from .training import REFERENCE, Case, run_case, speed_table

TARGETS = {"float32": (1.5, 1.5), "float64": (2.0, None)}


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument(
        "--rows", type=int, default=REFERENCE["data"][1], help="training rows (default 15,000)"
    )
    args = parser.parse_args(argv)
    use_torch = not args.no_torch and C.torch_or_none() is not None
    data = ("teacher", args.rows, *REFERENCE["data"][2:])
    results = []
    with pinned_threads(args.threads):
        blas = [
            f"{b['internal_api']} {b['version']} {b.get('architecture')} x{b['num_threads']}"
            for b in blas_description()
            if b["user_api"] == "blas"
        ]
        log(f"BLAS: {', '.join(blas)}")
        for dtype in args.dtype:
            case = Case(
                "reference",
                data,
                REFERENCE["hidden"],
                REFERENCE["solver"],
                epochs=args.epochs,
                dtype=dtype,
            )
            results.append(run_case(case, args.repeats, use_torch))
    print()
    print(speed_table(results))
    print()
    for r in results:
        speedup, floor = TARGETS.get(r["dtype"], (None, None))
        got = r["ratio"].get("sklearn/sknet")
        line = f"{r['dtype']}: sknet is {got:.2f}x faster than scikit-learn (target {speedup}x"
        line += f", {'met' if got >= speedup else 'NOT met'})"
        if floor:
            f = r["ratio"]["sknet/floor"]
            line += f"; {f:.2f}x the GEMM floor (target <= {floor}x, "
            line += f"{'met' if f <= floor else 'NOT met'})"
        print(line)
    return results


if __name__ == "__main__":
    main()
