"""Model compression: int8 dynamic quantization with onnxruntime.quantization.

float16 weights are written by the graph itself (converter option ``float16``);
int8 is applied afterwards to the network's MatMul nodes only.
"""

import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path

import onnx

COMPRESSIONS = (None, "float16", "int8")


def quantize_int8(model):
    """Quantize the weights of sknet's MatMul nodes to int8 (dynamic quantization).

    Activations are quantized on the fly, per batch, by onnxruntime
    (``DynamicQuantizeLinear`` + ``MatMulInteger``); meant for CPU inference.

    Parameters
    ----------
    model : onnx.ModelProto
        A float32 model exported by ``sknet.onnx.to_onnx``.

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
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    nodes = [n for n in model.graph.node if n.op_type == "MatMul" and n.name.startswith("Sknet")]
    if not _all_float32(model, nodes):
        raise ValueError("int8 quantization needs a float32 model: export with dtype=np.float32.")
    with tempfile.TemporaryDirectory() as tmp, _without_preprocessing_hint():
        path = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            model,
            path,
            nodes_to_quantize=[n.name for n in nodes],
            weight_type=QuantType.QInt8,
            # shape inference cannot type the outputs of ai.onnx.ml operators
            # (e.g. skl2onnx's float32 Scaler) that may precede the network.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        return onnx.load(path)


def _all_float32(model, nodes):
    weights = {init.name: init.data_type for init in model.graph.initializer}
    return all(weights.get(n.input[1]) == onnx.TensorProto.FLOAT for n in nodes)


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
