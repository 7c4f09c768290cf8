"""``python -m sknet demo``, run as the README runs it: every figure it prints
is the figure of a fit this test makes itself, and its ONNX file is that model.

The test restates the demo's recipe (documented in docs/getting_started.rst):
digits, a stratified quarter held out with seed 0, StandardScaler +
MLPClassifier(max_iter=60, early_stopping=True, n_iter_no_change=8,
random_state=0), 3-fold GridSearchCV refitted on macro F1.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, classification_report, f1_score, recall_score
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import sknet.__main__ as cli
from sknet import MLPClassifier, demo
from sknet._estimators._progress import HAS_CALLBACKS

SCORES = ["accuracy", "recall_macro", "f1_macro"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """``python -m sknet demo --out DIR`` in a fresh process; its stdout and DIR."""
    out = tmp_path_factory.mktemp("demo")
    run = subprocess.run(
        [sys.executable, "-m", "sknet", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,  # this checkout's sknet
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout, out


@pytest.fixture(scope="module")
def own_fit(readme_run):
    """The candidate the demo printed as best, cross-validated and refitted here."""
    printed, _ = readme_run
    best = re.search(r"^best: (.*)$", printed, re.M).group(1)
    params = {k: ast.literal_eval(v) for k, v in re.findall(r"(\w+)=(.*?)(?=, \w+=|$)", best)}
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    mlp = MLPClassifier(max_iter=60, early_stopping=True, n_iter_no_change=8, random_state=0)
    model = Pipeline([("scale", StandardScaler()), ("mlp", mlp.set_params(**params))])
    cv = cross_validate(model, X_train, y_train, cv=3, scoring=SCORES)
    return model.fit(X_train, y_train), cv, X_test, y_test


def _table(printed):
    """The rows of the printed cross-validation table: (rank, scores)."""
    rows = re.findall(r"^\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+alpha=", printed, re.M)
    return [(int(rank), [float(s) for s in scores]) for rank, *scores in rows]


@pytest.mark.slow
def test_cv_table_is_the_cross_validation_of_each_candidate(readme_run, own_fit):
    printed, _ = readme_run
    _, cv, _, _ = own_fit
    table = _table(printed)
    n_candidates = int(re.search(r"Grid search: (\d+) candidates x 3 folds", printed).group(1))
    assert [rank for rank, _ in table] == list(range(1, n_candidates + 1))
    f1 = [scores[2] for _, scores in table]
    assert f1 == sorted(f1, reverse=True)  # ranked by f1_macro, the refit metric
    expected = [cv[f"test_{name}"].mean() for name in SCORES]
    np.testing.assert_allclose(table[0][1], expected, atol=5e-5)


@pytest.mark.slow
def test_held_out_report_is_the_refitted_best_pipeline(readme_run, own_fit):
    printed, _ = readme_run
    model, _, X_test, y_test = own_fit
    y_pred = model.predict(X_test)
    assert classification_report(y_test, y_pred, digits=4) in printed
    summary = (
        f"accuracy {accuracy_score(y_test, y_pred):.4f}"
        f" | recall_macro {recall_score(y_test, y_pred, average='macro'):.4f}"
        f" | f1_macro {f1_score(y_test, y_pred, average='macro'):.4f}"
    )
    assert f"\n  {summary}\n" in printed


@pytest.mark.slow
def test_onnx_file_is_the_model_and_the_check_passes(readme_run, own_fit):
    onnxruntime = pytest.importorskip("onnxruntime")
    printed, out = readme_run
    model, _, X_test, _ = own_fit
    session = onnxruntime.InferenceSession(
        str(out / "digits_pipeline.onnx"), providers=["CPUExecutionProvider"]
    )
    feed = {session.get_inputs()[0].name: X_test.astype(np.float32)}
    labels, probabilities = session.run(None, feed)
    np.testing.assert_allclose(probabilities, model.predict_proba(X_test), atol=1e-4)
    agree, compared = map(int, re.search(r"labels agree on (\d+)/(\d+)", printed).groups())
    assert agree == compared == np.sum(labels == model.predict(X_test))
    assert "check: OK, onnxruntime matches the pipeline" in printed


@pytest.mark.slow
def test_progress_is_shown_for_every_fit(readme_run):
    printed, _ = readme_run
    grid = re.search(r"Grid search: (\d+) candidates x (\d+) folds", printed)
    candidates, folds = map(int, grid.groups())
    if HAS_CALLBACKS:  # scikit-learn's ProgressBar (rich is a test dependency)
        fits = re.findall(r"candidate-split-evaluation \| Pipeline - fit #", printed)
        assert len(fits) == candidates * folds
        assert "refit-with-best-params" in printed
    else:  # GridSearchCV's verbose=1
        assert f"Fitting {folds} folds for each of {candidates} candidates" in printed


@pytest.mark.slow
def test_a_disagreeing_onnxruntime_fails_the_check(monkeypatch, capsys):
    from sknet.onnx import OnnxPredictor

    real = OnnxPredictor.predict_proba
    monkeypatch.setattr(OnnxPredictor, "predict_proba", lambda self, X: real(self, X) + 1e-3)
    assert demo.main([]) == 1
    assert "check: MISMATCH" in capsys.readouterr().out


@pytest.mark.slow
def test_with_neither_onnx_nor_rich_the_rest_runs(monkeypatch, capsys):
    """A plain ``pip install sknet``: no onnx extra, no rich for the progress bars."""
    monkeypatch.setitem(sys.modules, "sknet.onnx", None)  # importing it now fails
    monkeypatch.setitem(sys.modules, "rich", None)
    assert demo.main([]) == 0
    printed = capsys.readouterr().out
    assert "Fitting 3 folds for each of 4 candidates, totalling 12 fits" in printed
    assert "macro avg" in printed and 'pip install "sknet[onnx]"' in printed
    assert "check:" not in printed


def test_command_line_help_and_dispatch(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", "--help"])
    assert exit_.value.code == 0 and "--out DIR" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["demo", "--regression"])  # an unknown option
    assert exit_.value.code == 2
    assert cli.main([]) == 2 and "usage: python -m sknet demo" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0 and "usage" in capsys.readouterr().out
