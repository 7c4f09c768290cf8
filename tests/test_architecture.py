"""The layering the docs promise: the NumPy core never imports scikit-learn."""

import importlib
import subprocess
import sys

import pytest


def test_core_imports_neither_scikit_learn_nor_onnx():
    code = (
        "import sys, sknet.nn, sknet.nn.training, sknet.nn.optimizers, sknet.nn.schedules;"
        "bad = sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('sklearn', 'onnx', 'onnxruntime'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    # Import the core without running sknet/__init__ (which loads the estimators).
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.util, sys, types;"
            "spec = importlib.util.find_spec('sknet');"
            "pkg = types.ModuleType('sknet'); pkg.__path__ = list(spec.submodule_search_locations);"
            "sys.modules['sknet'] = pkg;" + code,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_estimators_work_without_sklearn_callback(monkeypatch):
    """On scikit-learn < 1.9 there is no sklearn.callback: progress still works."""
    from sknet._estimators import _progress

    monkeypatch.setitem(sys.modules, "sklearn.callback", None)
    stub = importlib.reload(_progress)
    try:
        assert not stub.HAS_CALLBACKS

        class Est:
            verbose = 0
            scoring = None

        progress = stub.FitProgress(Est(), None, None, {}, 3)
        progress.epoch_begin(0)
        assert progress.epoch_end(None) is False
        progress.close()
    finally:
        monkeypatch.delitem(sys.modules, "sklearn.callback")
        importlib.reload(_progress)


def test_onnx_layer_reads_fitted_attributes_only():
    pytest.importorskip("onnxruntime")
    import inspect

    from sknet.onnx import _graph

    source = inspect.getsource(_graph)
    assert "sknet.nn" not in source and "from ..nn" not in source
