"""The demo, ``python -m sknet demo``: a script to read top to bottom.

Tune a StandardScaler + MLPClassifier pipeline on the digits with GridSearchCV
(accuracy, macro recall, macro F1; refit on macro F1), report it on held-out
rows, export it with ``sknet.onnx.to_onnx`` and check onnxruntime's predictions
against the pipeline's. Every number printed comes from the fitted model.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, classification_report, f1_score, recall_score
from sklearn.model_selection import GridSearchCV, ParameterGrid, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknet import MLPClassifier

__all__ = ["main"]


def main(argv=None):
    """Run ``python -m sknet demo [--out DIR]``; 0 if onnxruntime agrees, else 1."""
    parser = argparse.ArgumentParser(
        prog="python -m sknet demo",
        description="Tune an MLP pipeline on the digits with GridSearchCV, report it on "
        "held-out rows, export it to ONNX and check onnxruntime's predictions against it.",
    )
    parser.add_argument("--out", metavar="DIR", help="keep the ONNX file in DIR")
    out = parser.parse_args(argv).out

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print("Classification: 8x8 digit images (load_digits), 10 classes")
    print(f"train {len(X_train)} rows, held-out test {len(X_test)} rows")
    model = _tune(X_train, y_train).best_estimator_
    _report(model, X_test, y_test)
    return _export_and_check(model, X_test, out)


def _tune(X_train, y_train):
    mlp = MLPClassifier(max_iter=60, early_stopping=True, n_iter_no_change=8, random_state=0)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("mlp", mlp)]),
        {"mlp__hidden_layer_sizes": [(32,), (64,)], "mlp__alpha": [1e-4, 1.0]},
        scoring=["accuracy", "recall_macro", "f1_macro"],
        refit="f1_macro",
        cv=3,
    )
    print(
        f"\nGrid search: {len(ParameterGrid(search.param_grid))} candidates x {search.cv} folds, "
        f"scored on {', '.join(search.scoring)}; refit on {search.refit}"
    )
    try:  # progress bars need scikit-learn >= 1.9 and rich
        from sklearn.callback import ProgressBar

        search.set_callbacks(ProgressBar())
    except ImportError:
        search.set_params(verbose=1)
    start = time.perf_counter()
    # Small matrices run fastest on one BLAS thread; early stopping ends most fits.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    print(f"searched in {time.perf_counter() - start:.1f} s")

    results, ranks = search.cv_results_, search.cv_results_["rank_test_f1_macro"]
    print("\nmean cross-validated scores (rank by f1_macro)")
    print("  rank  " + "".join(f"{name:>13}" for name in search.scoring) + "  parameters")
    for i in np.argsort(ranks, kind="stable"):
        scores = "".join(f"{results[f'mean_test_{name}'][i]:>13.4f}" for name in search.scoring)
        print(f"  {ranks[i]:>4}  {scores}  {_short(results['params'][i])}")
    print(f"best: {_short(search.best_params_)}")
    return search


def _short(params):
    return ", ".join(f"{key.split('__')[-1]}={value}" for key, value in params.items())


def _report(model, X_test, y_test):
    y_pred = model.predict(X_test)
    print("\nheld-out test set, best pipeline:")
    print(classification_report(y_test, y_pred, digits=4))
    print(
        f"  accuracy {accuracy_score(y_test, y_pred):.4f}"
        f" | recall_macro {recall_score(y_test, y_pred, average='macro'):.4f}"
        f" | f1_macro {f1_score(y_test, y_pred, average='macro'):.4f}"
    )


def _export_and_check(model, X_test, out):
    print("\nONNX export (float32) and onnxruntime inference")
    try:
        from sknet.onnx import OnnxPredictor, to_onnx
    except ImportError as exc:
        print(f'  skipped ({exc}); to run this part: pip install "sknet[onnx]"')
        return 0
    onx = to_onnx(model, X_test[:1].astype(np.float32))
    where = "in memory; keep the file with --out DIR"
    if out is not None:
        where = Path(out) / "digits_pipeline.onnx"
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_bytes(onx.SerializeToString())
    predictor = OnnxPredictor(onx)
    print(
        f"  {onx.ByteSize() / 1024:.1f} KiB ({where}); onnxruntime runs it on {predictor.provider_}"
    )

    # float32 rounding may flip a near-tie: labels are compared where the
    # pipeline's two most probable classes are more than 1e-4 apart.
    proba = model.predict_proba(X_test)
    max_diff = np.abs(predictor.predict_proba(X_test) - proba).max()
    top2 = np.sort(proba, axis=1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 1e-4
    same = (predictor.predict(X_test) == model.predict(X_test))[decided]
    print(
        f"  labels agree on {same.sum()}/{decided.sum()} held-out rows ({(~decided).sum()} "
        f"near-ties left out); max |probability difference| {max_diff:.2e}"
    )
    agree = same.all() and max_diff <= 1e-4
    print("  check: " + ("OK, onnxruntime matches the pipeline" if agree else "MISMATCH"))
    return 0 if agree else 1
