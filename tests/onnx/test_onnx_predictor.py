"""OnnxPredictor: scikit-learn conventions on onnxruntime, batching, providers."""

import warnings

import numpy as np
import pytest

onnxruntime = pytest.importorskip("onnxruntime")

from onnx_cases import TARGETS, TASKS, X, fitted, fitted_frame_pipeline, frame  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknet.onnx import OnnxPredictor, quantize_int8, to_onnx  # noqa: E402
from sknet.onnx._session import (  # noqa: E402
    default_providers,
    provider_options,
    warn_on_cpu_nodes,
)

CPU = ["CPUExecutionProvider"]
HAS_CUDA = "CUDAExecutionProvider" in onnxruntime.get_available_providers()


@pytest.mark.parametrize("task", TASKS)
def test_predict_proba_score_like_the_estimator(task):
    model = fitted(task)
    predictor = OnnxPredictor(to_onnx(model), CPU, batch_size=7)
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


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, None])
def test_bad_batch_size_raises_clearly(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        OnnxPredictor(fitted("binary"), CPU, batch_size=batch_size)


def test_sparse_input_raises_clearly():
    predictor = OnnxPredictor(fitted("binary"), CPU)
    with pytest.raises(TypeError, match=r"dense data is required\. Use '\.toarray"):
        predictor.predict(sparse.csr_matrix(X))


@pytest.mark.parametrize("task", ["binary", "multiclass-str", "multiclass"])
@pytest.mark.parametrize(
    "options",
    [{"zipmap": "columns"}, {"zipmap": True}, {"zipmap": False, "output_class_labels": True}],
)
def test_predict_proba_is_n_by_classes_for_every_zipmap_option(task, options):
    model = fitted(task, "relu", np.float32)
    Xf = X.astype(np.float32)
    predictor = OnnxPredictor(to_onnx(model, options={id(model): options}), CPU, batch_size=7)
    proba = predictor.predict_proba(Xf)
    assert proba.shape == (len(X), len(model.classes_))
    np.testing.assert_allclose(proba, model.predict_proba(Xf), atol=1e-5)
    np.testing.assert_array_equal(predictor.predict(Xf), model.predict(Xf))


@pytest.mark.parametrize("container", ["DataFrame", "dict of lists", "reordered with extra"])
def test_runs_one_input_per_column(container):
    """A DataFrame pipeline's model: inputs matched to columns by name, in batches."""
    pipeline = fitted_frame_pipeline("multiclass-str")
    df, _ = frame()
    predictor = OnnxPredictor(to_onnx(pipeline, df), CPU, batch_size=7)
    given = {
        "DataFrame": df,
        "dict of lists": {name: df[name].tolist() for name in df.columns},
        "reordered with extra": df[df.columns[::-1]].assign(extra=1.0),
    }[container]
    np.testing.assert_array_equal(predictor.predict(given), pipeline.predict(df))
    np.testing.assert_allclose(predictor.predict_proba(given), pipeline.predict_proba(df))
    assert predictor.score(given, TARGETS["multiclass-str"]) == pipeline.score(
        df, TARGETS["multiclass-str"]
    )
    assert list(predictor.feature_names_in_) == ["annual_income", "age", "member", "city", "plan"]


def test_one_input_per_column_needs_the_columns():
    pipeline = fitted_frame_pipeline("binary")
    df, _ = frame()
    predictor = OnnxPredictor(to_onnx(pipeline, df), CPU)
    with pytest.raises(ValueError, match="no column for the model's inputs \\['city'\\]"):
        predictor.predict(df.drop(columns="city"))
    with pytest.raises(ValueError, match=r"one input per column .*DataFrame or a dict"):
        predictor.predict(np.zeros((3, 5)))


@pytest.mark.skipif(HAS_CUDA, reason="checks the fallback warning of a CPU-only onnxruntime")
@pytest.mark.parametrize("cuda", ["CUDAExecutionProvider", ("CUDAExecutionProvider", {})])
def test_warns_when_cuda_is_not_obtained(cuda):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # onnxruntime's own note
        with pytest.warns(RuntimeWarning, match="could not use CUDAExecutionProvider"):
            predictor = OnnxPredictor(fitted("binary"), [cuda, *CPU])
    assert predictor.provider_ == predictor.providers_[0] == "CPUExecutionProvider"


def test_provider_options_as_pairs_give_no_false_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor = OnnxPredictor(fitted("binary"), [("CPUExecutionProvider", {})])
    assert predictor.provider_ == "CPUExecutionProvider"


def test_cuda_options_get_device_id_and_tf32():
    providers = [("CUDAExecutionProvider", {"device_id": 3}), "CPUExecutionProvider"]
    names, options = provider_options(providers, device_id=1, tf32=False)
    assert names == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert options == [{"device_id": 3, "use_tf32": 0}, {}]  # the options' own device wins
    _, options = provider_options(["CUDAExecutionProvider"], device_id=1, tf32=True)
    assert options == [{"device_id": 1, "use_tf32": 1}]


def test_int8_models_default_to_the_cpu(monkeypatch):
    model = fitted("multiclass", "relu", np.float32)
    monkeypatch.setattr(
        onnxruntime, "get_available_providers", lambda: ["CUDAExecutionProvider", *CPU]
    )
    assert default_providers(to_onnx(model)) == ["CUDAExecutionProvider", *CPU]
    for int8 in [
        to_onnx(model, compress="int8"),
        quantize_int8(to_onnx(model), X, method="static"),
    ]:
        assert default_providers(int8) == CPU


def test_warns_about_nodes_cuda_cannot_run():
    """On CUDA, a string-label lookup runs on the CPU: said, with the remedy."""
    with pytest.warns(RuntimeWarning, match=r"Gather-13 \(string\).*nocl"):
        warn_on_cpu_nodes(to_onnx(fitted("multiclass-str")))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fitted("multiclass-str")
        warn_on_cpu_nodes(to_onnx(model, options={id(model): {"nocl": True}}))


@pytest.mark.skipif(not HAS_CUDA, reason="needs onnxruntime-gpu and a CUDA device")
@pytest.mark.parametrize("compress", [None, "float16"])
@pytest.mark.parametrize("task", ["binary", "multiclass-str", "multilabel-3", "regression-3"])
def test_cuda(task, compress):
    model = fitted(task, "gelu", np.float32)
    Xf = X.astype(np.float32)
    predictor = OnnxPredictor(to_onnx(model, Xf, compress=compress), batch_size=16)
    assert predictor.provider_ == "CUDAExecutionProvider"
    options = predictor.session.get_provider_options()["CUDAExecutionProvider"]
    assert options["use_tf32"] == "0" and options["device_id"] == "0"
    expected = model.predict(Xf)
    if task == "regression-3":
        tol = 1e-5 if compress is None else 1e-2
        np.testing.assert_allclose(predictor.predict(Xf), expected, rtol=tol, atol=tol)
    else:
        agreement = np.mean(predictor.predict(Xf) == expected)
        assert agreement >= (1.0 if compress is None else 0.95)
