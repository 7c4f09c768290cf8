"""to_onnx: parity with predict / predict_proba, standalone and in a Pipeline."""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from onnx_cases import (
    ACTIVATIONS,
    DTYPES,
    TASKS,
    MLPClassifier,
    X,
    assert_parity,
    fitted,
    run,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet.onnx import to_onnx


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_parity(activation, task, dtype):
    model = fitted(task, activation, dtype)
    assert_parity(model, to_onnx(model), X.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("task", TASKS)
def test_parity_without_hidden_layers(task, dtype):
    model = fitted(task, "relu", dtype, hidden_layer_sizes=())
    assert_parity(model, to_onnx(model), X.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_parity_in_pipeline(activation, task, dtype):
    network = fitted(task, activation, dtype)
    scaler = StandardScaler().fit(X.astype(dtype))
    pipeline = make_pipeline(scaler, network)  # already fitted: scaler, then network
    Xt = X.astype(dtype) * 2 + 1
    assert_parity(pipeline, to_onnx(pipeline, Xt[:1]), Xt, dtype)


def test_input_dtype_defaults_to_fitted_dtype():
    for dtype, elem_type in [(np.float32, 1), (np.float64, 11)]:
        onx = to_onnx(fitted("binary", "relu", dtype))
        input_type = onx.graph.input[0].type.tensor_type
        assert input_type.elem_type == elem_type
        assert [d.dim_value for d in input_type.shape.dim] == [0, X.shape[1]]  # 0: dynamic


def test_sample_row_fixes_input_type():
    model = fitted("multiclass", "relu", np.float64)
    onx = to_onnx(model, X[0].astype(np.float32))  # a single 1-D row
    assert onx.graph.input[0].type.tensor_type.elem_type == 1
    assert_parity(model, onx, X.astype(np.float32), np.float32)


def test_dtype_overrides_sample():
    onx = to_onnx(fitted("regression"), X[:2], dtype=np.float32)
    assert onx.graph.input[0].type.tensor_type.elem_type == 1


def test_output_names_and_no_zipmap():
    classifier = to_onnx(fitted("multiclass-str"))
    assert [o.name for o in classifier.graph.output] == ["label", "probabilities"]
    assert all(o.type.HasField("tensor_type") for o in classifier.graph.output)
    assert [o.name for o in to_onnx(fitted("regression")).graph.output] == ["variable"]


def test_zipmap_when_asked():
    # ONNX's ZipMap takes float tensors only: a float32 model.
    model = fitted("multiclass", "relu", np.float32)
    onx = to_onnx(model, options={type(model): {"zipmap": True}})
    assert "ZipMap" in {node.op_type for node in onx.graph.node}
    labels, probabilities = run(onx, X.astype(np.float32))
    np.testing.assert_array_equal(labels, model.predict(X.astype(np.float32)))
    assert probabilities[0] == pytest.approx(dict(enumerate(model.predict_proba(X)[0])))


@pytest.mark.parametrize("task", ["binary-str", "multiclass-str", "multiclass"])
def test_nocl_outputs_class_indices(task):
    model = fitted(task)
    labels, _ = run(to_onnx(model, options={id(model): {"nocl": True}}), X)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(model.classes_[labels], model.predict(X))


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError):
        to_onnx(MLPClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(StandardScaler(), MLPClassifier()))


def test_sample_with_wrong_width_raises():
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        to_onnx(fitted("binary"), X[:1, :3])


def test_bad_compress_and_foreign_model_raise():
    with pytest.raises(ValueError, match="compress"):
        to_onnx(fitted("binary"), compress="int4")
    with pytest.raises(TypeError, match="no sknet estimator"):
        to_onnx(LogisticRegression().fit(X, X[:, 0] > 0))
