"""An onnxruntime session on the provider a GPU user expects, and word when it is not.

Providers are given as onnxruntime takes them: names, or ``(name, options)``
pairs. The CUDA provider gets ``device_id`` and ``use_tf32`` (off by default:
TF32 matrix products agree with float32 to ~1e-3 only, on Ampere and newer).
Models with int8 operators default to the CPU provider: dynamic int8 has no
CUDA kernels (``DynamicQuantizeLinear``; ``MatMulInteger`` on CUDA takes int8
x int8, dynamic quantization feeds uint8), so every layer would copy GPU ->
CPU -> GPU; static QDQ models dequantize to float on CUDA and gain nothing
there (TensorRT's provider runs them in int8: ask for it by name).
"""

import os
import warnings

import onnx
import onnxruntime as ort
from sklearn.base import BaseEstimator

from ._placement import cuda_fallbacks

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"
INT8_OPERATORS = frozenset(
    {"DynamicQuantizeLinear", "MatMulInteger", "QuantizeLinear", "DequantizeLinear"}
)


def load_model(model):
    """An ``onnx.ModelProto`` from a model, its bytes, a path, or a fitted estimator."""
    if isinstance(model, BaseEstimator):
        from ._export import to_onnx

        return to_onnx(model)
    if isinstance(model, onnx.ModelProto):
        return model
    if isinstance(model, (str, os.PathLike)):
        return onnx.load(os.fspath(model))
    return onnx.load_from_string(bytes(model))


def is_int8(model):
    return any(node.op_type in INT8_OPERATORS for node in model.graph.node)


def default_providers(model):
    """CUDA first when this onnxruntime build has it and the model is not int8."""
    if CUDA in ort.get_available_providers() and not is_int8(model):
        return [CUDA, CPU]
    return [CPU]


def provider_options(providers, device_id, tf32):
    """(names, options): CUDA's options completed with ``device_id`` and ``use_tf32``."""
    names, options = [], []
    for provider in providers:
        name, given = (provider, {}) if isinstance(provider, str) else provider
        given = dict(given)
        if name == CUDA:
            given.setdefault("device_id", int(device_id))
            given.setdefault("use_tf32", int(bool(tf32)))
        names.append(name)
        options.append(given)
    return names, options


def create_session(model, providers, device_id, tf32, session_options):
    """The session, and the name of the provider it really runs on, with warnings.

    onnxruntime silently leaves out a provider that cannot load (no GPU, a
    missing CUDA or cuDNN library) and runs single nodes without a CUDA
    kernel on the CPU: both are said with a ``RuntimeWarning``.
    """
    requested = default_providers(model) if providers is None else list(providers)
    names, options = provider_options(requested, device_id, tf32)
    session = ort.InferenceSession(
        model.SerializeToString(), session_options, providers=names, provider_options=options
    )
    provider = session.get_providers()[0]
    if provider != names[0]:
        warnings.warn(
            f"onnxruntime could not use {names[0]} and runs on {provider}. "
            'For CUDA install onnxruntime-gpu (pip install "sknet[onnx-gpu]") without '
            "onnxruntime, and check that the CUDA and cuDNN libraries load "
            "(onnxruntime.preload_dlls()).",
            RuntimeWarning,
            stacklevel=3,
        )
    elif provider == CUDA:
        warn_on_cpu_nodes(model)
    return session, provider


def warn_on_cpu_nodes(model):
    fallbacks = cuda_fallbacks(model)
    if fallbacks:
        nodes = ", ".join(
            sorted({f"{f.op_type}-{f.since_version} ({f.input_type})" for f in fallbacks})
        )
        warnings.warn(
            f"{len(fallbacks)} node(s) of this model have no CUDA kernel and run on the "
            f"CPU, with copies between devices: {nodes}. String labels: export with "
            "options={MLPClassifier: {'nocl': True}}; see the deployment guide.",
            RuntimeWarning,
            stacklevel=4,
        )
