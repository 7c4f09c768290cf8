"""Every node of every exported graph has a CUDA kernel in onnxruntime (issue 14).

Checked against the registrations recorded from onnxruntime's
OperatorKernels.md (sknet/onnx/_cuda_kernels.py) with onnxruntime's matching
rule, so no GPU is needed. The allowlist is documented in the deployment
guide: the lookup of string labels (``nocl`` avoids it), skl2onnx's
``ai.onnx.ml`` encoders of string columns, and dynamic int8, a CPU format.
"""

import functools
import warnings

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from onnx_cases import (
    ACTIVATIONS,
    DTYPES,
    X,
    fitted,
    fitted_frame_pipeline,
    frame,
    onnx,
)
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.onnx import cuda_fallbacks, quantize_int8, to_onnx
from sknet.onnx._cuda_kernels import CUDA_KERNELS, SNAPSHOTS

# One task per output kind: binary, multiclass, multilabel, regression with
# one and several targets, Poisson.
OUTPUT_KINDS = ["binary-str", "multiclass", "multilabel-3", "regression", "regression-3", "poisson"]
STRING_LABELS = ("Gather", "string")  # nocl avoids it
DYNAMIC_INT8 = {("DynamicQuantizeLinear", "float"), ("MatMulInteger", "uint8")}


def unexpected(onx, allowed=(STRING_LABELS,)):
    """Nodes without a CUDA kernel in either snapshot, outside ``allowed``."""
    return {
        snapshot: sorted({(f.op_type, f.since_version, f.input_type) for f in fallbacks})
        for snapshot in SNAPSHOTS
        if (
            fallbacks := [
                f for f in cuda_fallbacks(onx, snapshot) if (f.op_type, f.input_type) not in allowed
            ]
        )
    }


@functools.cache
def sample(dtype):
    return X.astype(dtype)


@pytest.mark.parametrize("compress", [None, "float16"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_node_runs_on_cuda(activation, dtype, compress):
    """Every activation x output kind x float16 / float32 / float64, at the default opset."""
    for task in OUTPUT_KINDS:
        onx = to_onnx(fitted(task, activation, dtype), sample(dtype), compress=compress)
        assert not unexpected(onx), task


@pytest.mark.parametrize("compress", [None, "float16"])
def test_per_layer_activations_run_on_cuda(compress):
    """One network whose hidden layers use every activation in turn."""
    activations = tuple(ACTIVATIONS)
    sizes = (3,) * len(activations)
    for task in OUTPUT_KINDS:
        model = fitted(task, activations, np.float32, hidden_layer_sizes=sizes)
        assert not unexpected(to_onnx(model, sample(np.float32), compress=compress)), task


@pytest.mark.parametrize("method", ["dynamic", "static"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_int8_placement(activation, method):
    """Static QDQ runs on CUDA; dynamic int8 is a CPU format, and only its int8 nodes are not."""
    Xf = sample(np.float32)
    allowed = (STRING_LABELS, *DYNAMIC_INT8) if method == "dynamic" else (STRING_LABELS,)
    for task in OUTPUT_KINDS:
        onx = quantize_int8(to_onnx(fitted(task, activation, np.float32)), Xf, method=method)
        assert not unexpected(onx, allowed), task
        ops = {node.op_type for node in onx.graph.node}
        assert ("MatMulInteger" in ops) == (method == "dynamic")


def test_pipelines_run_on_cuda():
    """A float32 StandardScaler is exported as Sub/Div, not ai.onnx.ml.Scaler (CPU only)."""
    Xf = sample(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        voting = VotingClassifier(
            [(f"net{i}", MLPClassifier(max_iter=5, random_state=i)) for i in range(2)],
            voting="soft",
            flatten_transform=False,
        ).fit(Xf, np.arange(60) % 3)
    scaled = make_pipeline(StandardScaler().fit(Xf), fitted("multiclass-str"))
    for compress in [None, "float16"]:
        assert not unexpected(to_onnx(scaled, Xf, compress=compress))
        # skl2onnx's own voting nodes (Sum, ArgMax, ArrayFeatureExtractor) are its business
        onx = to_onnx(voting, Xf, compress=compress)
        assert not [f for f in cuda_fallbacks(onx) if f.node.startswith("Sknet")]
        matmuls = [n for n in onx.graph.node if n.op_type == "MatMul" and n.name[:5] == "Sknet"]
        assert len(matmuls) == 4  # two networks of two layers were checked


def test_dataframe_pipeline_only_string_encoding_stays_on_the_cpu():
    df, _ = frame()
    onx = to_onnx(fitted_frame_pipeline("multiclass"), df)
    fallbacks = {(f.op_type, f.domain) for f in cuda_fallbacks(onx)}
    assert fallbacks == {("OneHotEncoder", "ai.onnx.ml")}


def test_nocl_puts_string_label_models_wholly_on_cuda():
    model = fitted("multiclass-str")
    assert [f.op_type for f in cuda_fallbacks(to_onnx(model))] == ["Gather"]
    assert cuda_fallbacks(to_onnx(model, options={id(model): {"nocl": True}})) == []


@pytest.mark.parametrize(
    "activation, target_opset, gaps",
    [
        ("elu", 22, {"Elu", "Cast", "Reshape", "Identity"}),
        ("softplus", 22, {"Softplus", "Cast", "Reshape", "Identity"}),
        ("relu", 21, {"Cast", "Reshape", "Identity"}),
    ],
)
def test_higher_opsets_would_fall_back(activation, target_opset, gaps):
    """Why the default opset is 20: at 21 and 22 nodes lose their CUDA kernels."""
    if onnx.defs.onnx_opset_version() < target_opset:
        pytest.skip(f"onnx {onnx.__version__} cannot write opset {target_opset}")
    onx = to_onnx(fitted("binary", activation, np.float32), target_opset=target_opset)
    assert {f.op_type for f in cuda_fallbacks(onx, "2023-12")} == gaps


def test_argmax_would_fall_back_before_onnxruntime_1_21():
    """Why multiclass labels use TopK: ArgMax-13 has no CUDA kernel in the older snapshot."""
    argmax = [kernel[:2] for kernel in CUDA_KERNELS["2023-12"]["ArgMax"]]
    assert (13, None) not in argmax and (13, None) in [
        kernel[:2] for kernel in CUDA_KERNELS["2026"]["ArgMax"]
    ]
    onx = to_onnx(fitted("multiclass", "relu", np.float32))
    assert "TopK" in {node.op_type for node in onx.graph.node}
    assert "ArgMax" not in {node.op_type for node in onx.graph.node}


def test_kernel_table_rows_are_well_formed():
    for snapshot, kernels in CUDA_KERNELS.items():
        for op, rows in kernels.items():
            for first, last, types in rows:
                assert last is None or first <= last, (snapshot, op)
                assert types, (snapshot, op)
            opens = [first for first, last, _ in rows if last is None]
            assert len(opens) <= 1, (snapshot, op, "one open range per operator")
