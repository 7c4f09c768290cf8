"""Compressed exports: float16 weights and int8 dynamic quantization, on digits."""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

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


@pytest.mark.parametrize("compress", ["float16", "int8"])
def test_label_agreement_on_digits(digits_model, compress):
    model, X = digits_model
    reference, _ = run(to_onnx(model, X[:1]), X)
    onx = to_onnx(model, X[:1], compress=compress)
    labels, probabilities = run(onx, X)
    assert probabilities.dtype == np.float32  # inputs and outputs stay float32
    assert np.mean(labels == reference) >= 0.99


@pytest.mark.parametrize("compress, most", [("float16", 0.55), ("int8", 0.4)])
def test_compressed_model_is_smaller(digits_model, compress, most):
    model, X = digits_model
    size = len(to_onnx(model, X[:1]).SerializeToString())
    assert len(to_onnx(model, X[:1], compress=compress).SerializeToString()) < most * size


def test_float16_keeps_io_types_of_float64_input():
    model = fitted("regression-3", "gelu", np.float64)
    (values,) = run(to_onnx(model, compress="float16"), X)
    assert values.dtype == np.float64
    np.testing.assert_allclose(values, model.predict(X), rtol=1e-2, atol=1e-2)


def test_int8_needs_float32():
    with pytest.raises(ValueError, match="float32"):
        to_onnx(fitted("binary", "relu", np.float64), compress="int8")
    with pytest.raises(ValueError, match="float32"):
        quantize_int8(to_onnx(fitted("binary", "relu", np.float64)))
