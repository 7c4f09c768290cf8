"""Run an ONNX graph in NumPy with each node's result rounded to its ONNX type.

onnxruntime's CPU provider computes float16 nodes in float32, so it cannot
show what a GPU computes. This evaluator models the GPU: every node computes
from its (float16) inputs in float64 and rounds its result once to the type
the graph declares for it; MatMul so accumulates in more than float16, as
cuBLAS does under onnxruntime's default GEMM options (float32 accumulation).
It knows the operators sknet's graphs contain, nothing more.
"""

import numpy as np
from onnx import helper, numpy_helper
from scipy.special import erf, expit

from sknet.onnx._placement import tensor_types

NUMPY = {
    "float16": np.float16,
    "float": np.float32,
    "double": np.float64,
    "int64": np.int64,
    "bool": np.bool_,
    "uint64": np.uint64,
}


def _softmax(Z, axis):
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _topk(X, k, axis=-1, largest=1, sorted=1):
    order = np.argsort(-X if largest else X, axis=axis, kind="stable")[..., : int(k[0])]
    return np.take_along_axis(X, order, axis=axis), order


OPS = {
    "MatMul": lambda a, b: a @ b,
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Neg": np.negative,
    "Abs": np.abs,
    "Max": np.maximum,
    "Min": np.minimum,
    "Sigmoid": expit,
    "Tanh": np.tanh,
    "Relu": lambda z: np.maximum(z, 0),
    "LeakyRelu": lambda z, alpha=0.01: np.where(z > 0, z, alpha * z),
    "Elu": lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))),
    "Softplus": lambda z: np.logaddexp(0, z),
    "Erf": erf,
    "Exp": np.exp,
    "Log": np.log,
    "Softmax": lambda z, axis=-1: _softmax(z, axis),
    "TopK": _topk,
    "Greater": np.greater,
    "Gather": lambda data, index, axis=0: np.take(data, index, axis=axis),
    "Cast": lambda x, to: x,
    "Concat": lambda *xs, axis: np.concatenate(xs, axis=axis),
    "Reshape": lambda x, shape: x.reshape(shape),
    "Identity": lambda x: x,
}


def run_rounded(onx, feeds):
    """The graph's outputs, each node computed in float64 and rounded to its type."""
    types = tensor_types(onx)
    values = {init.name: numpy_helper.to_array(init) for init in onx.graph.initializer}
    values.update(feeds)
    for node in onx.graph.node:
        inputs = [_wide(values[name]) for name in node.input]
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        results = OPS[node.op_type](*inputs, **attributes)
        results = results if isinstance(results, tuple) else (results,)
        for name, result in zip(node.output, results):
            values[name] = _rounded(result, types[name])
    return [values[output.name] for output in onx.graph.output]


def _wide(value):
    return value.astype(np.float64) if value.dtype.kind == "f" else value


def _rounded(value, onnx_type):
    if onnx_type == "string":
        return value
    with np.errstate(over="ignore"):  # float16 overflow is what the emulation shows
        return np.asarray(value).astype(NUMPY[onnx_type])
