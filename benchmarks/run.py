"""Run the benchmark suite and write ``benchmarks/results/``.

    python -m benchmarks.run                 # the full suite
    python -m benchmarks.run --quick         # a smoke run; writes results/quick/
    python -m benchmarks.run --only training reference tiny
    python -m benchmarks.run --threads 2     # BLAS threads (default 1)

Sections: ``training`` (cases: default, reference, tiny, wide, deep,
lbfgs-digits, adam, regression), ``scaling``, ``inference``. ``--only`` takes section
names and/or training case names.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from . import _contenders as C
from . import inference, report, scaling, training
from ._harness import RESULTS_DIR, log, machine_info, pinned_threads, write_json

SECTIONS = ("training", "scaling", "inference")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, a smoke test of every script (under two minutes)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS / OpenMP / torch / onnxruntime threads (default 1)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="rounds per training case (default 5, the wide case 3; quick 2)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NAME",
        help="sections (training, scaling, inference) or training cases",
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default benchmarks/results, quick: results/quick)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    out = args.out or (RESULTS_DIR / "quick" if args.quick else RESULTS_DIR)
    out.mkdir(parents=True, exist_ok=True)
    repeats = args.repeats or (2 if args.quick else 5)
    only = set(args.only or ())
    case_names = {c.name for c in training.cases(args.quick)}
    sections = [
        s for s in SECTIONS if not only or s in only or (s == "training" and only & case_names)
    ]
    cases = (only & case_names) or None
    use_torch = not args.no_torch and C.torch_or_none() is not None  # import before pinning

    stand_in = C.sknet_estimators()[2]
    if stand_in:
        log("WARNING: sknet's estimators are not importable; scikit-learn stands in for them.")
    started = time.perf_counter()
    results = {
        "machine": None,
        "quick": args.quick,
        "threads": args.threads,
        "repeats": repeats,
        "stand_in": stand_in,
        "torch": use_torch,
    }
    with pinned_threads(args.threads):
        results["machine"] = machine_info(args.threads)
        if "training" in sections:
            results["training"] = training.run(args.quick, repeats, use_torch, cases)
        if "scaling" in sections:
            results["scaling"] = scaling.run(args.quick, args.threads)
        if "inference" in sections:
            results["inference"] = inference.run(args.quick, args.threads)
    results["seconds"] = time.perf_counter() - started

    write_json(out / "machine.json", results["machine"])
    write_json(out / "results.json", results)
    report.write(results, out)
    log(f"done in {results['seconds']:.0f} s; wrote {out}/results.md")
    return results


if __name__ == "__main__":
    main()
