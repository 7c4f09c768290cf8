"""The demo prints metrics computed from its fitted model, its ONNX export
agrees with the pipeline, and ``python -m sknet demo`` works as the README says."""

import contextlib
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    f1_score,
    r2_score,
    recall_score,
)

from sknet import demo

try:
    import onnxruntime
except ImportError:
    onnxruntime = None
needs_onnx = pytest.mark.skipif(onnxruntime is None, reason="needs sknet[onnx]")


@pytest.fixture(scope="module")
def classification(tmp_path_factory):
    """One fast classification journey, its output and its --out folder."""
    out = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        result = demo.run_classification(fast=True, out=out)
    return result, printed.getvalue(), out


def test_printed_report_is_the_models(classification):
    result, printed, _ = classification
    y_pred = result.search.best_estimator_.predict(result.X_test)
    assert classification_report(result.y_test, y_pred, digits=4) in printed
    assert result.metrics == pytest.approx(
        {
            "accuracy": accuracy_score(result.y_test, y_pred),
            "recall_macro": recall_score(result.y_test, y_pred, average="macro"),
            "f1_macro": f1_score(result.y_test, y_pred, average="macro"),
        }
    )


def test_printed_search_table_is_cv_results(classification):
    result, printed, _ = classification
    cv = result.search.cv_results_
    best = result.search.best_index_
    row = re.search(r"^\s+1\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+alpha=", printed, re.M)
    assert row, printed
    printed_scores = [float(v) for v in row.groups()]
    expected = [cv[f"mean_test_{n}"][best] for n in ("accuracy", "recall_macro", "f1_macro")]
    np.testing.assert_allclose(printed_scores, expected, atol=5e-5)


def test_progress_is_displayed(classification):
    _, printed, _ = classification
    # per-fit lines, scikit-learn's ProgressBar (drawn by rich), or verbose=2
    assert re.search(r"fit +6/6 done|\[CV", printed) or _has_rich()


def _has_rich():
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def test_loss_curve_plot_is_kept(classification):
    result, _, out = classification
    pytest.importorskip("matplotlib")
    assert result.plots == [out / "digits_loss_curve.png"]
    assert result.plots[0].read_bytes()[:4] == b"\x89PNG"


@needs_onnx
def test_onnx_export_agrees_with_pipeline(classification):
    result, printed, out = classification
    path = out / "digits_pipeline.onnx"
    assert result.onnx["path"] == path and path.exists()
    assert result.onnx["agree"] and "check: OK" in printed

    # Recompute independently with a bare onnxruntime session.
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = result.X_test.astype(np.float32)
    labels, probabilities = session.run(None, {session.get_inputs()[0].name: X})
    model = result.search.best_estimator_
    np.testing.assert_allclose(probabilities, model.predict_proba(result.X_test), atol=1e-4)
    assert np.mean(labels == model.predict(result.X_test)) > 0.99
    for rows in ("one row", f"{len(X)} rows"):
        pipeline_s, onnx_s = result.onnx[f"latency_{rows}"]
        assert pipeline_s > 0 and onnx_s > 0
        assert re.search(rf"{rows}\s+[\d.]+ ms\s+[\d.]+ ms", printed)


def test_regression_prints_recomputed_metrics(capsys):
    result = demo.run_regression(fast=True)
    printed = capsys.readouterr().out
    y_pred = result.search.best_estimator_.predict(result.X_test)
    r2 = r2_score(result.y_test, y_pred)
    assert result.metrics["r2"] == pytest.approx(r2)
    assert f"r2    {r2:.4f}" in printed
    if onnxruntime is not None:
        assert result.onnx["agree"] and result.onnx["path"] is None


def test_missing_onnx_extra_runs_the_rest(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sknet.onnx", None)  # import now fails
    result = demo.run_regression(fast=True)
    printed = capsys.readouterr().out
    assert result.onnx == {} and result.metrics
    assert 'pip install "sknet[onnx]"' in printed


def _sknet(*args, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "sknet", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[1],  # this checkout's sknet
    )


def test_cli_help_lists_options():
    run = _sknet("demo", "--help")
    assert run.returncode == 0
    for option in ("--regression", "--out", "--fast", "--n-jobs"):
        assert option in run.stdout
    assert _sknet().returncode == 2
    assert _sknet("--help").returncode == 0


def test_readme_command_finishes_within_a_minute(tmp_path):
    """`python -m sknet demo`, as the README runs it (with the onnx extra)."""
    start = time.perf_counter()
    run = _sknet("demo", "--out", str(tmp_path))
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, run.stdout + run.stderr
    assert elapsed < 60, run.stdout
    assert "Grid search: 4 candidates x 3 folds" in run.stdout
    assert "macro avg" in run.stdout
    if onnxruntime is not None:
        assert "check: OK" in run.stdout
        assert (tmp_path / "digits_pipeline.onnx").exists()


def test_progress_lines_without_rich(monkeypatch, capsys):
    callback = pytest.importorskip("sklearn.callback")

    def no_rich():
        raise ImportError("ProgressBar requires rich.")

    monkeypatch.setattr(callback, "ProgressBar", no_rich)
    demo.run_regression(fast=True)
    printed = capsys.readouterr().out
    assert [f"fit  {i}/6 done" in printed for i in range(1, 7)] == [True] * 6
    assert "refit of the best" in printed
