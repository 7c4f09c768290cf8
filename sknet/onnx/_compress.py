"""Model compression: int8 quantization with onnxruntime.quantization.

float16 weights are written by the graph itself (converter option ``float16``);
int8 is applied afterwards to the network's MatMul nodes only, dynamically
(a CPU format) or statically as QDQ (the format TensorRT consumes).
"""

import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

import onnx

COMPRESSIONS = (None, "float16", "int8")
METHODS = ("dynamic", "static")


def quantize_int8(model, X_calibration=None, *, method="dynamic", batch_size=256):
    """Quantize sknet's MatMul nodes to int8.

    ``method="dynamic"`` stores the weights as int8 and quantizes the
    activations per batch at run time (``DynamicQuantizeLinear`` +
    ``MatMulInteger``): fast on CPUs, which is where it runs (onnxruntime's
    CUDA provider has no kernel for it). ``method="static"`` writes a QDQ
    model: signed int8 weights, per output channel, and signed symmetric int8
    activations whose scales are calibrated on ``X_calibration``
    (``QuantizeLinear`` / ``DequantizeLinear`` pairs around each MatMul) —
    the format TensorRT's execution provider runs in int8, and onnxruntime's
    CPU provider fuses into int8 kernels.

    Parameters
    ----------
    model : onnx.ModelProto
        A float32 model exported by ``sknet.onnx.to_onnx``.
    X_calibration : array-like, DataFrame or dict, default=None
        Representative inputs (a few hundred rows or more), for
        ``method="static"``.
    method : {"dynamic", "static"}, default="dynamic"
    batch_size : int, default=256
        Rows per calibration batch.

    Returns
    -------
    onnx.ModelProto

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPRegressor
    >>> from sknet.onnx import quantize_int8, to_onnx
    >>> X = np.random.RandomState(0).rand(50, 8).astype(np.float32)
    >>> model = MLPRegressor(hidden_layer_sizes=(32,), max_iter=5).fit(X, X.sum(axis=1))
    >>> int8 = quantize_int8(to_onnx(model))  # same as to_onnx(model, compress="int8")
    >>> sorted({node.op_type for node in int8.graph.node} & {"MatMul", "MatMulInteger"})
    ['MatMulInteger']
    >>> qdq = quantize_int8(to_onnx(model), X, method="static")
    >>> sorted({node.op_type for node in qdq.graph.node} & {"QuantizeLinear", "MatMul"})
    ['MatMul', 'QuantizeLinear']
    """
    from onnxruntime.quantization import QuantType

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    nodes = [n.name for n in model.graph.node if n.op_type == "MatMul" and n.name[:5] == "Sknet"]
    if not _all_float32(model, nodes):
        raise ValueError("int8 quantization needs a float32 model: export with dtype=np.float32.")
    options = dict(
        nodes_to_quantize=nodes,
        weight_type=QuantType.QInt8,
        # shape inference cannot type the outputs of ai.onnx.ml operators
        # (e.g. skl2onnx's float32 Scaler) that may precede the network.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    if method == "dynamic":
        return _quantized(model, "quantize_dynamic", **options)
    if X_calibration is None:
        raise ValueError(
            'method="static" calibrates the activations: pass X_calibration, e.g. the '
            "training data."
        )
    options["extra_options"]["ActivationSymmetric"] = True  # TensorRT takes symmetric int8
    return _quantized(
        model,
        "quantize_static",
        calibration_data_reader=_Calibration(model, X_calibration, batch_size),
        activation_type=QuantType.QInt8,
        per_channel=True,
        **options,
    )


def _quantized(model, how, **options):
    """onnxruntime's quantizer, from a file: given a ModelProto, some releases move its
    weights to external files (1.32) or lose them (1.19)."""
    from onnxruntime import quantization

    with tempfile.TemporaryDirectory() as tmp, _without_preprocessing_hint():
        source, path = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, source)
        getattr(quantization, how)(source, path, **options)
        return onnx.load(path)


class _Calibration:
    """onnxruntime's calibration reader: the sample's feeds, ``batch_size`` rows at a time."""

    def __init__(self, model, X, batch_size):
        from ._predictor import OnnxPredictor

        feeds = OnnxPredictor(model, ["CPUExecutionProvider"]).feeds(X)
        n_samples = len(next(iter(feeds.values())))
        self._batches = iter(
            [
                {name: values[start : start + batch_size] for name, values in feeds.items()}
                for start in range(0, n_samples, batch_size)
            ]
        )

    def get_next(self):
        return next(self._batches, None)


def _all_float32(model, nodes):
    weights = {init.name: init.data_type for init in model.graph.initializer}
    matmuls = [n for n in model.graph.node if n.name in set(nodes)]
    return all(weights.get(n.input[1]) == onnx.TensorProto.FLOAT for n in matmuls)


class _PreprocessingHint(logging.Filter):
    def filter(self, record):
        return "pre-processing before quantization" not in record.getMessage()


@contextmanager
def _without_preprocessing_hint():
    """Silence the quantizer's root-logger advice, meant for convolutional nets."""
    hint = _PreprocessingHint()
    logging.getLogger().addFilter(hint)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(hint)
