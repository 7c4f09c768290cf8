"""Compressed exports: float16, int8 dynamic and int8 static (QDQ) quantization, on digits."""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from onnx import helper, numpy_helper
from onnx_cases import X, fitted, run
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.onnx import quantize_int8, to_onnx


@pytest.fixture(scope="module")
def digits_model():
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    network = MLPClassifier(hidden_layer_sizes=(64,), max_iter=60, random_state=0)
    model = make_pipeline(StandardScaler(), network)
    return model.fit(X, y), X


def compressed(model, X, how):
    """The export compressed ``how``: float16, int8 (dynamic) or int8-static (QDQ)."""
    if how == "int8-static":
        return quantize_int8(to_onnx(model, X), X, method="static")
    return to_onnx(model, X, compress=how)


@pytest.mark.parametrize("how", ["float16", "int8", "int8-static"])
def test_label_agreement_on_digits(digits_model, how):
    model, X = digits_model
    reference, _ = run(to_onnx(model, X[:1]), X)
    labels, probabilities = run(compressed(model, X, how), X)
    assert probabilities.dtype == np.float32  # inputs and outputs stay float32
    assert np.mean(labels == reference) >= 0.99


# float16 keeps the output layer in float32 (64 x 10 of the 64 x 64 + 64 x 10 weights here)
@pytest.mark.parametrize("how, most", [("float16", 0.65), ("int8", 0.4), ("int8-static", 0.45)])
def test_compressed_model_is_smaller(digits_model, how, most):
    model, X = digits_model
    size = len(to_onnx(model, X[:1]).SerializeToString())
    assert len(compressed(model, X, how).SerializeToString()) < most * size


def test_static_int8_is_qdq_per_channel_signed_symmetric(digits_model):
    """The format TensorRT runs in int8: QuantizeLinear/DequantizeLinear around MatMul."""
    model, X = digits_model
    onx = compressed(model, X, "int8-static")
    ops = [node.op_type for node in onx.graph.node]
    assert "MatMulInteger" not in ops and ops.count("MatMul") == 2
    weights = {init.name: numpy_helper.to_array(init) for init in onx.graph.initializer}
    for node in onx.graph.node:
        if node.op_type == "DequantizeLinear" and node.input[0].startswith("coef"):
            quantized, scale, zero = (weights[name] for name in node.input)
            assert quantized.dtype == np.int8 and scale.shape == (quantized.shape[1],)
            assert helper.get_attribute_value(node.attribute[0]) == 1  # per output channel
        if node.op_type == "QuantizeLinear":
            zero = weights[node.input[2]]
            assert zero.dtype == np.int8 and not zero.any()  # signed, symmetric


def test_quantize_int8_arguments_are_checked(digits_model):
    model, X = digits_model
    with pytest.raises(ValueError, match="pass X_calibration"):
        quantize_int8(to_onnx(model, X), method="static")
    with pytest.raises(ValueError, match="method must be one of"):
        quantize_int8(to_onnx(model, X), X, method="qat")


def test_quantization_leaves_its_input_alone(digits_model):
    model, X = digits_model
    onx = to_onnx(model, X)
    before = onx.SerializeToString()
    quantize_int8(onx, X, method="static")
    assert onx.SerializeToString() == before
    run(onx, X)


def test_float16_keeps_io_types_of_float64_input():
    model = fitted("regression-3", "gelu", np.float64)
    (values,) = run(to_onnx(model, X, compress="float16"), X)
    assert values.dtype == np.float64
    np.testing.assert_allclose(values, model.predict(X).reshape(len(X), -1), rtol=1e-2, atol=1e-2)


def test_int8_needs_float32():
    with pytest.raises(ValueError, match="float32"):
        to_onnx(fitted("binary", "relu", np.float64), compress="int8")
    with pytest.raises(ValueError, match="float32"):
        quantize_int8(to_onnx(fitted("binary", "relu", np.float64)))
