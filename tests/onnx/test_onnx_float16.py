"""float16 exports: hidden layers in float16, output layer and head in float32.

onnxruntime's CPU provider runs float16 nodes in float32, so GPU rounding is
emulated: ``float16_emulation.run_rounded`` computes every node and rounds it
to its declared type, as a GPU does.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from float16_emulation import run_rounded
from onnx_cases import ACTIVATIONS, TARGETS, X, fitted, run
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_onnx_graph import _clear_margin

from sknet.onnx import to_onnx
from sknet.onnx._placement import tensor_types

Xf = X.astype(np.float32)


def export_float16(model, X=Xf):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the range check must be quiet here
        return to_onnx(model, X, compress="float16")


@pytest.mark.parametrize("task", ["multiclass-str", "regression-3", "poisson"])
def test_emulator_reproduces_onnxruntime_in_float32(task):
    """The emulator itself: on a float32 graph it gives onnxruntime's outputs."""
    onx = to_onnx(fitted(task, "gelu", np.float32))
    for emulated, actual in zip(run_rounded(onx, {"X": Xf}), run(onx, Xf)):
        if actual.dtype.kind == "f":
            np.testing.assert_allclose(emulated, actual, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(emulated, actual)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_float16_agrees_with_float32(activation):
    """GPU-like float16: probabilities within 5e-3, labels equal off near-ties."""
    for task in ["binary", "multiclass", "multilabel-3"]:
        model = fitted(task, activation, np.float32)
        reference = run(to_onnx(model), Xf)
        labels, proba = run_rounded(export_float16(model), {"X": Xf})
        assert proba.dtype == np.float32
        np.testing.assert_allclose(proba, reference[1], atol=5e-3)
        clear = _clear_margin(reference[1], multilabel=task.startswith("multilabel"), tol=1e-3)
        np.testing.assert_array_equal(labels[clear], reference[0][clear])


def test_large_regression_outputs_stay_finite():
    """House prices in currency units: beyond float16's 65504, finite in the float32 head."""
    model = clone(fitted("regression")).fit(Xf, TARGETS["regression"])
    model.coefs_[-1] = model.coefs_[-1] * 50_000  # as if fitted on prices
    model.intercepts_[-1] = model.intercepts_[-1] * 50_000 + 300_000
    expected = model.predict(Xf).reshape(-1, 1)
    assert np.abs(expected).max() > 65504
    (emulated,) = run_rounded(export_float16(model), {"X": Xf})
    assert np.isfinite(emulated).all()
    np.testing.assert_allclose(emulated, expected, rtol=1e-2)


def test_output_layer_and_head_compute_in_float32():
    model = fitted("multiclass", "tanh", np.float32)
    onx = export_float16(model)
    types = tensor_types(onx)
    kinds = {node.op_type: types[node.output[0]] for node in onx.graph.node}
    assert kinds["Tanh"] == "float16" and kinds["Softmax"] == "float" and kinds["TopK"] == "float"
    matmuls = [types[n.output[0]] for n in onx.graph.node if n.op_type == "MatMul"]
    assert matmuls == ["float16", "float16", "float"]  # hidden (5, 3), then the output layer
    weights = [init.data_type for init in onx.graph.initializer if init.name.startswith("coef")]
    assert weights == [10, 10, 1]  # float16, then the output layer's in float32


def test_range_check_warns_about_unscaled_inputs():
    model = fitted("binary", "relu", np.float32)
    raw = Xf * 1e5  # e.g. incomes in currency units, fed unscaled
    with pytest.warns(UserWarning, match="exceed float16's largest value 65504"):
        to_onnx(model, raw, compress="float16")
    scaled = make_pipeline(StandardScaler().fit(raw), model)
    export_float16(scaled, raw)  # the scaler brings them back in range: no warning
    with pytest.warns(UserWarning, match="without a sample X"):
        to_onnx(model, compress="float16")


def test_range_check_sees_hidden_layers():
    """Inputs in range, but a hidden layer's values are not."""
    model = clone(fitted("regression", "relu", np.float32))
    model.fit(Xf, TARGETS["regression"])
    model.coefs_[0] = model.coefs_[0] * 3e4
    with pytest.warns(UserWarning, match="exceed float16"):
        to_onnx(model, Xf, compress="float16")
