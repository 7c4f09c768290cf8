"""Dropout's cost per epoch in sknet's core, against the same epoch without it.

    python -m benchmarks.dropout [--rows 15000] [--repeats 7] [--threads 1] [--rate 0.2]
                                 [--estimator]

The reference case of ``benchmarks.reference`` (15,000 x 100, 10 classes, hidden (256, 128),
sgd with Nesterov momentum, batch 200), one epoch of ``training.run_epoch``
per call, contenders in turns with BLAS pinned (see ``_harness``): no
dropout; dropout on both hidden layers with masks from a legacy
``RandomState`` (what scikit-learn's ``random_state`` gives); and from a
``numpy.random.Generator`` (which fills the mask buffers in place, in the
compute dtype). Prints median ms/epoch and the paired ratios to no dropout.
With ``--estimator``, the same epoch through ``MLPClassifier.partial_fit``
(input validation and the estimator's glue included), with and without
``dropout``; the masks then come from ``random_state``, a RandomState.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/dropout.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

import numpy as np

from sknet.nn import MLP
from sknet.nn.optimizers import SGD
from sknet.nn.training import Data, Settings, State, run_epoch

from . import _contenders as C
from ._harness import alternate, log, markdown_table, pinned_threads


def epoch_contender(X, Y, dtype, rate, make_rng):
    """A callable that trains one epoch and returns its seconds."""
    dropout = 0.0 if make_rng is None else rate
    net = MLP((X.shape[1], 256, 128, Y.shape[1]), "relu", "log_loss", dtype, dropout=dropout)
    theta, opt = net.init(np.random.RandomState(0)), SGD(0.9, nesterov=True)
    state = State(lr=1e-3, optimizer=opt.init(theta))
    settings = Settings(batch_size=200, max_epochs=1, lr0=1e-3)
    rng = np.random.RandomState(0) if make_rng is None else make_rng(0)
    ws = net.workspace(settings.batch_size, rng=rng)
    data = Data(X, Y)

    def epoch():
        order = rng.permutation(data.n)
        started = time.perf_counter()
        run_epoch(net, theta, data, order, settings, opt, state, ws)
        return time.perf_counter() - started

    return epoch


def estimator_contender(X, y, dtype, rate):
    """A callable that trains one epoch with ``MLPClassifier.partial_fit``."""
    from sknet import MLPClassifier

    clf = MLPClassifier(
        (256, 128),
        solver="sgd",
        learning_rate_init=1e-3,
        batch_size=200,
        dropout=rate,
        dtype=dtype,
        random_state=0,
    )
    classes = np.arange(10)

    def epoch():
        started = time.perf_counter()
        clf.partial_fit(X, y, classes=classes)
        return time.perf_counter() - started

    return epoch


def main(argv=None) -> list[list]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    parser.add_argument("--estimator", action="store_true", help="time MLPClassifier.partial_fit")
    args = parser.parse_args(argv)
    rows = []
    for dtype in args.dtype:
        X, y = C.teacher_data(args.rows, 100, 10, dtype)
        Y = np.eye(10, dtype=dtype)[y]
        if args.estimator:
            contenders = {
                "no dropout": estimator_contender(X, y, dtype, 0.0),
                "dropout (estimator)": estimator_contender(X, y, dtype, args.rate),
            }
        else:
            contenders = {
                "no dropout": epoch_contender(X, Y, dtype, args.rate, None),
                "RandomState": epoch_contender(X, Y, dtype, args.rate, np.random.RandomState),
                "Generator": epoch_contender(X, Y, dtype, args.rate, np.random.default_rng),
            }
        with pinned_threads(args.threads):
            timings = alternate(contenders, args.repeats, progress=log)
        for name in contenders:
            ratio = timings.ratio(name, "no dropout")
            rows.append([dtype, name, f"{1e3 * timings.median(name):.1f}", f"{ratio:.2f}"])
    header = ["dtype", f"masks (rate {args.rate})", "ms/epoch (median)", "x no dropout"]
    print(markdown_table(header, rows))
    return rows


if __name__ == "__main__":
    main()
