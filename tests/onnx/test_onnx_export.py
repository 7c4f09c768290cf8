"""to_onnx: parity with predict / predict_proba, standalone and in a Pipeline."""

import copy

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from onnx_cases import (
    ACTIVATIONS,
    DTYPES,
    TARGETS,
    TASKS,
    MLPClassifier,
    X,
    assert_parity,
    fitted,
    fitted_frame_pipeline,
    frame,
    onnx,
    run,
)
from skl2onnx.common.data_types import BooleanTensorType, FloatTensorType, StringTensorType
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet.onnx import OnnxPredictor, to_onnx


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


@pytest.mark.parametrize("dtype", [None, np.float32])
@pytest.mark.parametrize("task", ["binary-str", "multiclass", "multilabel-3", "regression-3"])
def test_dataframe_pipeline_parity(task, dtype):
    """A ColumnTransformer on numbers, booleans and strings: one input per column."""
    pipeline = fitted_frame_pipeline(task)
    df, elem_types = frame()
    onx = to_onnx(pipeline, df, dtype=dtype)
    inputs = {i.name: i.type.tensor_type for i in onx.graph.input}
    expected = {name.replace(" ", "_"): elem_type for name, elem_type in elem_types.items()}
    if dtype is np.float32:
        expected["annual_income"] = onnx.TensorProto.FLOAT
    assert {name: t.elem_type for name, t in inputs.items()} == expected
    assert all([d.dim_value for d in t.shape.dim] == [0, 1] for t in inputs.values())
    outputs = OnnxPredictor(onx, ["CPUExecutionProvider"])
    predicted = outputs.predict(df)
    if task.startswith("regression"):
        tol = 1e-10 if dtype is None else 1e-4
        np.testing.assert_allclose(predicted, pipeline.predict(df), rtol=tol, atol=tol)
        return
    if dtype is None:  # float64 all the way: the same labels
        np.testing.assert_array_equal(predicted, pipeline.predict(df))
    tol = 1e-10 if dtype is None else 1e-5
    np.testing.assert_allclose(outputs.predict_proba(df), pipeline.predict_proba(df), atol=tol)


def test_initial_types_override_dataframe_types():
    pipeline = fitted_frame_pipeline("binary-str")
    df, _ = frame()
    types = [
        ("annual income", FloatTensorType([None, 1])),
        ("age", FloatTensorType([None, 1])),
        ("member", BooleanTensorType([None, 1])),
        ("city", StringTensorType([None, 1])),
        ("plan", StringTensorType([None, 1])),
    ]
    onx = to_onnx(pipeline, initial_types=types)
    assert [(i.name, i.type.tensor_type.elem_type) for i in onx.graph.input] == [
        ("annual_income", 1),
        ("age", 1),
        ("member", 9),
        ("city", 8),
        ("plan", 8),
    ]
    predictor = OnnxPredictor(onx, ["CPUExecutionProvider"])
    np.testing.assert_allclose(
        predictor.predict_proba(df), pipeline.predict_proba(df), rtol=1e-4, atol=1e-5
    )


def test_network_alone_from_dataframe():
    """skl2onnx's one-input-per-column convention also for a bare network."""
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": (X[:, 2] > 0), "d": X[:, 3]})
    model = clone(fitted("multiclass")).fit(df, TARGETS["multiclass"])
    onx = to_onnx(model, df)
    assert [i.name for i in onx.graph.input] == ["a", "b", "c", "d"]
    predictor = OnnxPredictor(onx, ["CPUExecutionProvider"])
    np.testing.assert_array_equal(predictor.predict(df), model.predict(df))
    np.testing.assert_allclose(predictor.predict_proba(df), model.predict_proba(df), atol=1e-12)


def test_dataframe_with_other_columns_raises():
    df, _ = frame()
    with pytest.raises(ValueError, match="feature names should match"):
        to_onnx(fitted_frame_pipeline("binary"), df[["age", "city"]])


@pytest.mark.parametrize("how", ["dtype", "sample"])
def test_float16_input_is_refused_clearly(how):
    model = fitted("binary")
    given = {"dtype": np.float16} if how == "dtype" else {"X": X[:1].astype(np.float16)}
    with pytest.raises(ValueError, match=r'numpy\.float64, got float16.*compress="float16"'):
        to_onnx(model, **given)


def test_uint64_labels_beyond_int64():
    labels = np.array([7, 2**63 + 5, 2**64 - 1], dtype=np.uint64)
    model = clone(fitted("multiclass")).fit(X, labels[np.arange(60) % 3])
    onx = to_onnx(model)
    (label, _) = run(onx, X)
    assert label.dtype == np.uint64
    np.testing.assert_array_equal(label, model.predict(X))
    for option in [{"zipmap": True}, {"zipmap": "columns"}, {"output_class_labels": True}]:
        with pytest.raises(ValueError, match="beyond int64's range"):
            to_onnx(model, dtype=np.float32, options={id(model): option})


def test_zipmap_with_double_probabilities_is_refused_clearly():
    model = fitted("multiclass", "relu", np.float64)
    with pytest.raises(ValueError, match="ZipMap takes float only"):
        to_onnx(model, options={type(model): {"zipmap": True}})


def test_zipmap_columns_with_nocl_is_refused_clearly():
    model = fitted("multiclass")
    with pytest.raises(ValueError, match="nocl=True use zipmap=False"):
        to_onnx(model, options={id(model): {"zipmap": "columns", "nocl": True}})


def test_export_reads_the_fitted_network_not_the_parameters():
    """Shape from coefs_/intercepts_/out_activation_, hidden activation from activation."""
    model = fitted("multiclass-str", "tanh")
    expected = run(to_onnx(model), X)
    changed = copy.deepcopy(model).set_params(hidden_layer_sizes=(17, 2, 9))
    for got, want in zip(run(to_onnx(changed), X), expected):
        np.testing.assert_array_equal(got, want)
    relu = copy.deepcopy(model).set_params(activation="relu")  # predict reads it too
    assert_parity(relu, to_onnx(relu), X, np.float64)
    assert not np.allclose(run(to_onnx(relu), X)[1], expected[1])
