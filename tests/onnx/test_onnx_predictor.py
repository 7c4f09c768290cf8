"""OnnxPredictor: scikit-learn conventions on onnxruntime, batching, providers."""

import warnings

import numpy as np
import pytest

onnxruntime = pytest.importorskip("onnxruntime")

from onnx_cases import TARGETS, TASKS, X, fitted  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknet.onnx import OnnxPredictor, to_onnx  # noqa: E402

CPU = ["CPUExecutionProvider"]
HAS_CUDA = "CUDAExecutionProvider" in onnxruntime.get_available_providers()


@pytest.mark.parametrize("io_binding", [False, True])
@pytest.mark.parametrize("task", TASKS)
def test_predict_proba_score_like_the_estimator(task, io_binding):
    model = fitted(task)
    predictor = OnnxPredictor(to_onnx(model), CPU, batch_size=7, io_binding=io_binding)
    assert predictor.score(X, TARGETS[task]) == pytest.approx(model.score(X, TARGETS[task]))
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
        np.testing.assert_allclose(predictor.predict_proba(X), model.predict_proba(X), atol=1e-10)
    else:
        np.testing.assert_allclose(predictor.predict(X), model.predict(X), rtol=1e-10)
        with pytest.raises(AttributeError):
            predictor.predict_proba(X)


@pytest.mark.parametrize("source", ["estimator", "model", "bytes", "path"])
def test_model_sources(source, tmp_path):
    model = make_pipeline(StandardScaler().fit(X), fitted("multiclass-str"))
    onx = to_onnx(model)
    path = tmp_path / "model.onnx"
    path.write_bytes(onx.SerializeToString())
    given = {"estimator": model, "model": onx, "bytes": onx.SerializeToString(), "path": path}
    predictor = OnnxPredictor(given[source], CPU)
    np.testing.assert_array_equal(predictor.predict(X), model.predict(X))
    assert predictor.provider_ == "CPUExecutionProvider"
    assert predictor.n_features_in_ == X.shape[1]


def test_streams_a_memmap_in_batches(tmp_path):
    model = fitted("regression-3")
    big = np.lib.format.open_memmap(tmp_path / "X.npy", "w+", np.float64, (5000, 4))
    big[:] = np.tile(X, (84, 1))[:5000]
    predictor = OnnxPredictor(model, CPU, batch_size=512)
    np.testing.assert_allclose(predictor.predict(big), model.predict(np.asarray(big)), atol=1e-10)


def test_casts_input_to_model_type():
    model = fitted("multiclass", "relu", np.float32)
    predictor = OnnxPredictor(model, CPU)
    expected = model.predict(X.astype(np.float32))
    np.testing.assert_array_equal(predictor.predict(X.tolist()), expected)


def test_zipmap_probabilities_become_an_array():
    model = fitted("multiclass", "relu", np.float32)
    predictor = OnnxPredictor(to_onnx(model, options={id(model): {"zipmap": True}}), CPU)
    Xf = X.astype(np.float32)
    np.testing.assert_allclose(predictor.predict_proba(Xf), model.predict_proba(Xf), atol=1e-5)


def test_wrong_input_raises_clear_errors():
    predictor = OnnxPredictor(fitted("binary"), CPU)
    with pytest.raises(ValueError, match="X has 3 features, but OnnxPredictor is expecting 4"):
        predictor.predict(X[:, :3])
    with pytest.raises(ValueError, match="2-D"):
        predictor.predict(X[0])
    with pytest.raises(ValueError, match="0 sample"):
        predictor.predict(X[:0])


@pytest.mark.skipif(HAS_CUDA, reason="checks the fallback warning of a CPU-only onnxruntime")
def test_warns_when_cuda_is_not_obtained():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # onnxruntime's own note
        with pytest.warns(RuntimeWarning, match="runs on CPUExecutionProvider"):
            predictor = OnnxPredictor(fitted("binary"), ["CUDAExecutionProvider", *CPU])
    assert predictor.provider_ == "CPUExecutionProvider"


@pytest.mark.skipif(not HAS_CUDA, reason="needs onnxruntime-gpu and a CUDA device")
@pytest.mark.parametrize("compress", [None, "float16"])
@pytest.mark.parametrize("task", ["binary", "multiclass-str", "multilabel-3", "regression-3"])
def test_cuda(task, compress):
    model = fitted(task, "gelu", np.float32)
    predictor = OnnxPredictor(to_onnx(model, compress=compress), batch_size=16)
    assert predictor.provider_ == "CUDAExecutionProvider" and predictor.io_binding
    expected = model.predict(X.astype(np.float32))
    agreement = np.mean(predictor.predict(X) == expected)
    if task == "regression-3":
        tol = 1e-5 if compress is None else 1e-2
        np.testing.assert_allclose(predictor.predict(X), expected, rtol=tol, atol=tol)
    else:
        assert agreement >= (1.0 if compress is None else 0.95)
