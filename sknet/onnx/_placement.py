"""Which nodes of an ONNX model onnxruntime's CUDA provider cannot run.

onnxruntime assigns a node to CUDA only when a CUDA kernel is registered for
its operator, since-version and input type; any other node runs on the CPU,
with copies between the devices around it, and the session still reports
CUDA. ``cuda_fallbacks`` applies onnxruntime's matching rule to the kernel
table of ``_cuda_kernels``, so placement is checked without a GPU.
"""

from typing import NamedTuple

from onnx import TensorProto, defs, shape_inference

from ._cuda_kernels import CUDA_KERNELS, SNAPSHOTS

# sknet's default opset: the highest at which every node an sknet export
# writes has a CUDA kernel in both snapshots of the table (at 21, Identity-21
# has none before 2026; at 22, Elu-22 and Softplus-22 have none).
DEFAULT_OPSET = 20


class Fallback(NamedTuple):
    """A node without a CUDA kernel: its name, operator, domain, version and input type."""

    node: str
    op_type: str
    domain: str
    since_version: int
    input_type: str


def cuda_fallbacks(model, snapshot=SNAPSHOTS[0]):
    """The nodes of ``model`` that onnxruntime would run on the CPU, not on CUDA.

    Checks every node's operator, since-version (at the model's opset) and
    first input type against onnxruntime's CUDA kernel registrations, read
    from onnxruntime's ``docs/OperatorKernels.md`` (see the docs' deployment
    page). Nodes of other domains than ``ai.onnx`` (skl2onnx's ``ai.onnx.ml``
    preprocessing) have no CUDA kernels.

    Parameters
    ----------
    model : onnx.ModelProto
    snapshot : {"2023-12", "2026"}, default="2023-12"
        Which registrations: the oldest bound those of onnxruntime-gpu 1.19,
        the extras' floor.

    Returns
    -------
    list of Fallback
        Empty when the whole graph runs on CUDA.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPRegressor
    >>> from sknet.onnx import cuda_fallbacks, to_onnx
    >>> X = np.random.RandomState(0).rand(30, 3).astype(np.float32)
    >>> model = MLPRegressor(activation="elu", max_iter=5).fit(X, X.sum(axis=1))
    >>> cuda_fallbacks(to_onnx(model))  # default opset 20
    []
    >>> [(f.op_type, f.since_version) for f in cuda_fallbacks(to_onnx(model, target_opset=21))]
    [('Identity', 21)]
    """
    kernels = CUDA_KERNELS[snapshot]
    opset = {entry.domain or "ai.onnx": entry.version for entry in model.opset_import}
    types = tensor_types(model)
    found = []
    for node in model.graph.node:
        domain = node.domain or "ai.onnx"
        if domain != "ai.onnx":
            found.append(Fallback(node.name, node.op_type, domain, opset.get(domain, 0), "?"))
            continue
        since = defs.get_schema(node.op_type, opset["ai.onnx"]).since_version
        dtype = types.get(node.input[0], "?") if node.input else "?"
        if not any(_matches(kernel, since, dtype) for kernel in kernels.get(node.op_type, [])):
            found.append(Fallback(node.name, node.op_type, domain, since, dtype))
    return found


def _matches(kernel, since, dtype):
    first, last, types = kernel
    covers = first == since or (last is not None and first <= since <= last)
    return covers and dtype in types


def tensor_types(model):
    """{tensor name: element type name ("float", "int64", ...)} of every typed tensor."""
    inferred = shape_inference.infer_shapes(model)
    graph = inferred.graph
    types = {init.name: init.data_type for init in graph.initializer}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        if value.type.HasField("tensor_type"):
            types[value.name] = value.type.tensor_type.elem_type
    return {name: TensorProto.DataType.Name(elem).lower() for name, elem in types.items()}
