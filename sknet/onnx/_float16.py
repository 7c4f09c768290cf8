"""The range check of float16 exports: warn before onnxruntime computes inf.

A float16 export computes the network's input and hidden layers in float16,
whose largest finite value is 65504; the output layer and head compute in
float32. Unscaled inputs (a price in currency units) or large hidden
activations overflow to inf on a GPU, silently; onnxruntime's CPU provider
computes float16 nodes in float32 and hides it. The check runs the export's
own graph in float32 on a sample and looks at every value the float16 graph
holds in float16.
"""

import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ._placement import tensor_types

FLOAT16_MAX = float(np.finfo(np.float16).max)


def check_float16_range(onx, X):
    """Warn when a value held in float16 would exceed float16's range on ``X``.

    Parameters
    ----------
    onx : onnx.ModelProto
        A float16 export.
    X : array-like, DataFrame, dict or None
        The sample; without one, a warning says the range is unchecked.
    """
    if X is None:
        warnings.warn(
            "float16 export without a sample X: the range of its float16 values (largest "
            f"{FLOAT16_MAX:g}) is not checked. Pass the training data as X to check it.",
            UserWarning,
            stacklevel=3,
        )
        return
    peaks = float16_peaks(onx, X)
    over = {name: peak for name, peak in peaks.items() if peak > FLOAT16_MAX}
    if over:
        name, peak = max(over.items(), key=lambda item: item[1])
        warnings.warn(
            f"float16 export: {len(over)} value(s) of the float16 layers exceed float16's "
            f"largest value {FLOAT16_MAX:g} on the sample X (up to {peak:.4g}, in {name!r}); "
            "onnxruntime computes inf there. Scale the inputs (e.g. a StandardScaler in "
            "the pipeline) or export without compress.",
            UserWarning,
            stacklevel=3,
        )


def float16_peaks(onx, X):
    """{tensor name: largest |value| on X} for every float16 tensor of ``onx``."""
    from ._predictor import OnnxPredictor

    twin, names = float32_twin(onx)
    predictor = OnnxPredictor(twin, ["CPUExecutionProvider"])
    values = predictor.session.run(names, predictor.feeds(X))
    return {name: float(np.max(np.abs(v), initial=0.0)) for name, v in zip(names, values)}


def float32_twin(onx):
    """``onx`` computing in float32 where it computes in float16, with those values as outputs.

    Returns the twin and the names of the tensors ``onx`` holds in float16.
    """
    half = [name for name, kind in tensor_types(onx).items() if kind == "float16"]
    twin = onnx.ModelProto()
    twin.CopyFrom(onx)
    for init in twin.graph.initializer:
        if init.data_type == TensorProto.FLOAT16:
            as_float = numpy_helper.to_array(init).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array(as_float, init.name))
    for node in twin.graph.node:
        for attribute in node.attribute:
            if (
                node.op_type == "Cast"
                and attribute.name == "to"
                and attribute.i == TensorProto.FLOAT16
            ):
                attribute.i = TensorProto.FLOAT
    del twin.graph.value_info[:]
    outputs = {output.name for output in twin.graph.output}
    initializers = {init.name for init in twin.graph.initializer}
    half = [name for name in half if name not in outputs | initializers]
    twin.graph.output.extend(
        helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in half
    )
    return twin, half
