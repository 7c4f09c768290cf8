"""The newcomer's journey, run by ``python -m sknet demo``.

Tune a ``Pipeline(StandardScaler, MLP)`` with a grid search on a dataset bundled
with scikit-learn, report the best model on a held-out split, export the fitted
pipeline to ONNX, check onnxruntime's predictions against the pipeline's, and
time both. Every number printed is computed from the fitted model.

The journeys are :func:`run_classification` (digits) and :func:`run_regression`
(diabetes); :func:`main` parses the command line. This is the only sknet module
that prints.
"""

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    classification_report,
    mean_absolute_error,
    r2_score,
    root_mean_squared_error,
)
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

__all__ = ["DemoResult", "main", "run_classification", "run_regression"]


@dataclass
class DemoResult:
    """What a journey fitted and measured, for inspection after the run.

    Attributes
    ----------
    search : GridSearchCV
        The fitted search; ``search.best_estimator_`` is the pipeline.
    X_test, y_test : ndarray
        The held-out split the report was computed on.
    metrics : dict of str to float
        Held-out metrics of the best pipeline, as printed.
    onnx : dict
        ONNX results: ``path``, ``provider``, agreement and latencies; empty
        when the onnx extra is missing.
    plots : list of Path
        Plot files written under ``--out``.

    Examples
    --------
    >>> from dataclasses import fields
    >>> from sknet.demo import DemoResult
    >>> [field.name for field in fields(DemoResult)]
    ['search', 'X_test', 'y_test', 'metrics', 'onnx', 'plots']
    """

    search: GridSearchCV
    X_test: np.ndarray
    y_test: np.ndarray
    metrics: dict
    onnx: dict = field(default_factory=dict)
    plots: list = field(default_factory=list)


# Journey settings; `fast` shrinks them to what a test can afford.
_CLASSIFICATION = {
    "grid": {
        "mlp__hidden_layer_sizes": [(32,), (64,)],
        "mlp__alpha": [1e-4, 1.0],
    },
    "params": {"max_iter": 60, "early_stopping": True, "n_iter_no_change": 8},
    "scoring": {
        "accuracy": "accuracy",
        "recall_macro": "recall_macro",
        "f1_macro": "f1_macro",
    },
    "refit": "f1_macro",
}
_REGRESSION = {
    "grid": {"mlp__hidden_layer_sizes": [(16,), (64,)], "mlp__alpha": [1e-2, 1.0]},
    "params": {
        "max_iter": 300,
        "early_stopping": True,
        "n_iter_no_change": 20,
        "learning_rate_init": 0.03,
        "batch_size": 64,
    },
    "scoring": {
        "r2": "r2",
        "MAE": "neg_mean_absolute_error",
        "RMSE": "neg_root_mean_squared_error",
    },
    "refit": "r2",
}
_FAST_GRID = {"mlp__alpha": [1e-4, 1e-2]}
# ONNX runs in float32: predictions agree up to _RTOL (relative to the largest
# output) and labels wherever the top two probabilities differ by over _TIE.
_RTOL, _TIE = 1e-4, 1e-4


def run_classification(*, out=None, fast=False, n_jobs=None, random_state=0):
    """Tune, evaluate, export and time an MLPClassifier on the digits data.

    Parameters
    ----------
    out : str or Path, default=None
        Folder to keep the ONNX file and plots in. None keeps nothing.
    fast : bool, default=False
        A two-candidate grid and few epochs, for tests.
    n_jobs : int, default=None
        Parallel fits in the grid search.
    random_state : int, default=0
        Seed of the split and the networks.

    Returns
    -------
    result : DemoResult
        The fitted search, held-out data, metrics and ONNX results.

    Examples
    --------
    >>> import contextlib, io
    >>> from sknet.demo import run_classification
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     result = run_classification(fast=True)
    >>> sorted(result.metrics)
    ['accuracy', 'f1_macro', 'recall_macro']
    >>> best = result.search.best_estimator_
    >>> result.metrics["accuracy"] == best.score(result.X_test, result.y_test)
    True
    """
    from sknet import MLPClassifier

    X, y = load_digits(return_X_y=True)
    _title("Classification: 8x8 digit images (load_digits), 10 classes")
    return _journey(
        MLPClassifier,
        _CLASSIFICATION,
        X,
        y,
        "digits",
        out=out,
        fast=fast,
        n_jobs=n_jobs,
        random_state=random_state,
    )


def run_regression(*, out=None, fast=False, n_jobs=None, random_state=0):
    """Tune, evaluate, export and time an MLPRegressor on the diabetes data.

    Parameters
    ----------
    out : str or Path, default=None
        Folder to keep the ONNX file and plots in. None keeps nothing.
    fast : bool, default=False
        A two-candidate grid and few epochs, for tests.
    n_jobs : int, default=None
        Parallel fits in the grid search.
    random_state : int, default=0
        Seed of the split and the networks.

    Returns
    -------
    result : DemoResult
        The fitted search, held-out data, metrics and ONNX results.

    Examples
    --------
    >>> import contextlib, io
    >>> from sknet.demo import run_regression
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     result = run_regression(fast=True)
    >>> "held-out test set" in printed.getvalue()
    True
    >>> sorted(result.metrics)
    ['MAE', 'RMSE', 'r2']
    """
    from sknet import MLPRegressor

    X, y = load_diabetes(return_X_y=True)
    _title("Regression: disease progression (load_diabetes), 10 features")
    return _journey(
        MLPRegressor,
        _REGRESSION,
        X,
        y,
        "diabetes",
        out=out,
        fast=fast,
        n_jobs=n_jobs,
        random_state=random_state,
    )


def _journey(network_class, settings, X, y, name, **options):
    # Matrices this small run fastest on one BLAS thread; several threads per
    # fit can be many times slower on a busy or small machine.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # Early stopping ends most fits; the loss curve shows the others.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _journey_steps(network_class, settings, X, y, name, **options)


def _journey_steps(network_class, settings, X, y, name, *, out, fast, n_jobs, random_state):
    classify = settings is _CLASSIFICATION
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=0.25,
        random_state=random_state,
        stratify=y if classify else None,
    )
    print(f"train {X_train.shape[0]} rows, held-out test {X_test.shape[0]} rows")

    search = _make_search(network_class, settings, fast, n_jobs, random_state)
    _fit_with_progress(search, X_train, y_train)
    _print_search(search, settings)

    model = search.best_estimator_
    metrics = _held_out_report(model, X_test, y_test, classify)
    result = DemoResult(search, X_test, y_test, metrics)
    out = Path(out) if out is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        result.plots = _save_plots(model, out, name)
    result.onnx = _onnx_journey(model, X_train, X_test, out, name, classify)
    return result


def _make_search(network_class, settings, fast, n_jobs, random_state):
    params = dict(settings["params"], random_state=random_state)
    if fast:
        params["max_iter"] = 10
    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", network_class(**params))])
    return GridSearchCV(
        pipeline,
        _FAST_GRID if fast else settings["grid"],
        scoring=settings["scoring"],
        refit=settings["refit"],
        cv=3,
        n_jobs=n_jobs,
    )


# ----------------------------------------------------------------- progress
class _FitLines:
    """A scikit-learn callback that prints one line per cross-validation fit;
    used when `rich` (needed by scikit-learn's ProgressBar) is missing."""

    def __init__(self):
        self._start = time.perf_counter()
        self._done = 0

    def setup(self, estimator, context):
        self._start, self._done = time.perf_counter(), 0

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        elapsed = time.perf_counter() - self._start
        if context.task_name == "candidate-split-evaluation":
            self._done += 1
            total = context.parent.max_subtasks
            print(f"  fit {self._done:>2}/{total} done  {elapsed:6.1f} s", flush=True)
        elif context.task_name.startswith("refit"):
            print(f"  refit of the best on all training rows  {elapsed:6.1f} s")


def _progress_callback():
    """scikit-learn's ProgressBar when it can draw, else per-fit lines; None
    before scikit-learn 1.9 (no callbacks)."""
    try:
        from sklearn.callback import ProgressBar
    except ImportError:
        return None
    try:
        return ProgressBar()
    except ImportError:  # rich is missing
        return _FitLines()


def _fit_with_progress(search, X, y):
    n_candidates = np.prod([len(v) for v in search.param_grid.values()])
    print(
        f"\nGrid search: {n_candidates} candidates x {search.cv} folds, "
        f"scored on {', '.join(search.scoring)}; refit on {search.refit}"
    )
    callback = _progress_callback()
    if callback is not None:
        search.set_callbacks(callback)
    else:
        search.set_params(verbose=2)
    start = time.perf_counter()
    search.fit(X, y)
    print(f"searched in {time.perf_counter() - start:.1f} s")


# ------------------------------------------------------------------ reports
def _print_search(search, settings):
    results, names = search.cv_results_, list(settings["scoring"])
    sign = {n: -1 if s.startswith("neg_") else 1 for n, s in settings["scoring"].items()}
    print("\nmean cross-validated scores (rank by " + search.refit + ")")
    print("  rank  " + "".join(f"{n:>13}" for n in names) + "  parameters")
    for i in np.argsort(results[f"rank_test_{search.refit}"]):
        scores = "".join(f"{sign[n] * results[f'mean_test_{n}'][i]:>13.4f}" for n in names)
        params = _short_params(results["params"][i])
        print(f"  {results[f'rank_test_{search.refit}'][i]:>4}  {scores}  {params}")
    print(f"best: {_short_params(search.best_params_)}")


def _short_params(params):
    return ", ".join(f"{k.split('__')[-1]}={v}" for k, v in params.items())


def _held_out_report(model, X_test, y_test, classify):
    y_pred = model.predict(X_test)
    print("\nheld-out test set, best pipeline:")
    if classify:
        print(classification_report(y_test, y_pred, digits=4))
        report = classification_report(y_test, y_pred, output_dict=True)
        metrics = {
            "accuracy": report["accuracy"],
            "recall_macro": report["macro avg"]["recall"],
            "f1_macro": report["macro avg"]["f1-score"],
        }
        print("  " + " | ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
        return metrics
    metrics = {
        "r2": r2_score(y_test, y_pred),
        "MAE": mean_absolute_error(y_test, y_pred),
        "RMSE": root_mean_squared_error(y_test, y_pred),
    }
    for metric, value in metrics.items():
        print(f"  {metric:<5} {value:.4f}")
    return metrics


def _save_plots(model, out, name):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sknet.display import LossCurveDisplay
    except ImportError:
        print('\nplots skipped: matplotlib is missing (pip install "sknet[plot]")')
        return []
    path = out / f"{name}_loss_curve.png"
    display = LossCurveDisplay.from_estimator(model, name=f"best model on {name}")
    display.figure_.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(display.figure_)
    print(f"\nloss curve saved to {path}")
    return [path]


# --------------------------------------------------------------------- ONNX
def _onnx_journey(model, X_train, X_test, out, name, classify):
    print("\nONNX export (float32) and onnxruntime inference")
    try:
        from sknet.onnx import OnnxPredictor, to_onnx
    except ImportError as exc:
        print(f"  skipped: {exc}")
        print('  install the extra to run this part: pip install "sknet[onnx]"')
        return {}
    with tempfile.TemporaryDirectory(prefix="sknet-demo-") as tmp:
        path = (out if out is not None else Path(tmp)) / f"{name}_pipeline.onnx"
        onx = to_onnx(model, X_train[:1].astype(np.float32))
        path.write_bytes(onx.SerializeToString())
        predictor = OnnxPredictor(str(path))
        size = path.stat().st_size / 1024
    where = path if out is not None else "a temporary file (keep it with --out DIR)"
    print(f"  wrote {where}, {size:.1f} KiB; onnxruntime runs it on {predictor.provider_}")
    agreement = _compare(model, predictor, X_test, classify)
    latency = _latencies(model, predictor, X_test)
    kept = path if out is not None else None
    return {"path": kept, "provider": predictor.provider_, **agreement, **latency}


def _compare(model, predictor, X_test, classify):
    """How far onnxruntime (float32) is from the pipeline's own predictions.

    Labels are compared where the pipeline's two most probable classes are
    more than ``_TIE`` apart: float32 rounding may break closer ties either way.
    """
    if classify:
        expected, got = model.predict_proba(X_test), predictor.predict_proba(X_test)
        top2 = np.sort(expected, axis=1)[:, -2:]
        decided = top2[:, 1] - top2[:, 0] > _TIE
        same = model.predict(X_test) == predictor.predict(X_test)
        n_agree, n_decided = int(same[decided].sum()), int(decided.sum())
    else:
        expected, got = model.predict(X_test), predictor.predict(X_test)
        n_agree = n_decided = len(X_test)
    max_diff = float(np.max(np.abs(expected - np.asarray(got, dtype=float))))
    tolerance = _RTOL * max(1.0, float(np.max(np.abs(expected))))
    agree = n_agree == n_decided and max_diff <= tolerance
    if classify:
        print(
            f"  labels agree on {n_agree}/{n_decided} held-out rows "
            f"({len(X_test) - n_decided} near-ties left out); "
            f"max |probability difference| {max_diff:.2e}"
        )
    else:
        print(f"  max |prediction difference| {max_diff:.2e} (tolerance {tolerance:.1e})")
    print("  check: " + ("OK, onnxruntime matches the pipeline" if agree else "MISMATCH"))
    return {
        "labels_agree": n_agree,
        "labels_compared": n_decided,
        "max_abs_diff": max_diff,
        "agree": agree,
    }


def _median_seconds(predict, X, repeats):
    predict(X)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _latencies(model, predictor, X_test):
    rows = {"one row": X_test[:1], f"{len(X_test)} rows": X_test}
    result = {}
    print(f"  median latency       {'pipeline':>12} {'onnxruntime':>12}")
    for label, X in rows.items():
        mine = _median_seconds(model.predict, X, repeats=30)
        ort = _median_seconds(predictor.predict, X, repeats=30)
        result[f"latency_{label}"] = (mine, ort)
        print(f"  {label:<20} {mine * 1e3:>9.3f} ms {ort * 1e3:>9.3f} ms")
    return result


def _title(text):
    print(text)
    print("=" * len(text))


# --------------------------------------------------------------------- CLI
def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sknet demo",
        description=(
            "Tune a Pipeline(StandardScaler, MLP) with GridSearchCV on a bundled "
            "dataset, report it on a held-out split, export it to ONNX and compare "
            "onnxruntime's predictions and latency with the pipeline's."
        ),
    )
    parser.add_argument(
        "--regression",
        action="store_true",
        help="run the MLPRegressor journey on the diabetes data instead of the "
        "MLPClassifier journey on the digits data",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="keep the ONNX file and the loss-curve plot in DIR",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="a two-candidate grid and 10 epochs (a smoke test)",
    )
    parser.add_argument("--n-jobs", type=int, default=None, help="parallel fits in the grid search")
    parser.add_argument("--random-state", type=int, default=0, help="seed")
    return parser


def main(argv=None):
    """Run the demo from the command line.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after ``demo``; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 when ONNX and the pipeline agree (or ONNX was skipped), else 1.

    Examples
    --------
    >>> import contextlib, io
    >>> from sknet.demo import main
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     status = main(["--fast", "--regression"])
    >>> status
    0
    >>> printed.getvalue().splitlines()[0]
    'Regression: disease progression (load_diabetes), 10 features'
    """
    args = _parser().parse_args(argv)
    journey = run_regression if args.regression else run_classification
    start = time.perf_counter()
    result = journey(
        out=args.out,
        fast=args.fast,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
    )
    print(f"\ndemo finished in {time.perf_counter() - start:.1f} s")
    return 0 if result.onnx.get("agree", True) else 1


if __name__ == "__main__":
    sys.exit(main())
