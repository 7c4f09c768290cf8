"""``triton_config``: a Triton Inference Server model configuration for an export."""

from pathlib import Path

import onnx

from ._session import is_int8, load_model

# ONNX element types -> Triton's DataType (model_config.proto).
_TRITON_TYPES = {
    onnx.TensorProto.BOOL: "TYPE_BOOL",
    onnx.TensorProto.UINT8: "TYPE_UINT8",
    onnx.TensorProto.UINT64: "TYPE_UINT64",
    onnx.TensorProto.INT8: "TYPE_INT8",
    onnx.TensorProto.INT32: "TYPE_INT32",
    onnx.TensorProto.INT64: "TYPE_INT64",
    onnx.TensorProto.FLOAT16: "TYPE_FP16",
    onnx.TensorProto.FLOAT: "TYPE_FP32",
    onnx.TensorProto.DOUBLE: "TYPE_FP64",
    onnx.TensorProto.STRING: "TYPE_STRING",
}


def triton_config(
    model, name, *, max_batch_size=1024, kind=None, count=1, max_queue_delay_us=0, path=None
):
    """The ``config.pbtxt`` of an exported model for Triton's onnxruntime backend.

    Inputs and outputs with their types and shapes; with ``max_batch_size >
    0`` the batch dimension is Triton's (left out of ``dims``) and requests
    are batched dynamically. A 1-D output (labels, one regression target of
    skl2onnx's (N, 1) aside) is declared ``dims: [1]`` with ``reshape: {
    shape: [] }``, the form Triton needs for a tensor that is only a batch.

    Parameters
    ----------
    model : onnx.ModelProto, bytes, str, os.PathLike or estimator
        An export (ZipMap off: Triton serves tensors only), or a fitted
        estimator, exported with ``to_onnx``.
    name : str
        The model's name in the repository.
    max_batch_size : int, default=1024
        0 turns batching off (then ``dims`` hold the batch dimension, -1).
    kind : {"KIND_GPU", "KIND_CPU"}, default=None
        Where the instances run: the CPU for int8 models, else the GPU.
    count : int, default=1
        Instances per device.
    max_queue_delay_us : int, default=0
        How long a request may wait for others to batch with, in microseconds.
    path : str or os.PathLike, default=None
        A model repository: writes ``path/name/config.pbtxt`` and
        ``path/name/1/model.onnx``.

    Returns
    -------
    str
        The configuration, in protobuf text format.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.onnx import to_onnx, triton_config
    >>> X = np.random.RandomState(0).rand(20, 3).astype(np.float32)
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, [0, 1] * 10)
    >>> print(triton_config(to_onnx(clf), "churn", max_batch_size=64))  # doctest: +ELLIPSIS
    name: "churn"
    platform: "onnxruntime_onnx"
    max_batch_size: 64
    input [
      {
        name: "X"
        data_type: TYPE_FP32
        dims: [ 3 ]
      }
    ]
    output [
      {
        name: "label"
        data_type: TYPE_INT64
        dims: [ 1 ]
        reshape: { shape: [ ] }
      },
    ...
    """
    onx = load_model(model)
    batching = max_batch_size > 0
    kind = kind or ("KIND_CPU" if is_int8(onx) else "KIND_GPU")
    inputs = [_tensor(value, batching) for value in onx.graph.input]
    outputs = [_tensor(value, batching) for value in onx.graph.output]
    lines = [f'name: "{name}"', 'platform: "onnxruntime_onnx"']
    lines += [f"max_batch_size: {int(max_batch_size)}"]
    lines += _block("input", inputs) + _block("output", outputs)
    lines += ["instance_group [", f"  {{ kind: {kind} count: {int(count)} }}", "]"]
    if batching:
        lines += [f"dynamic_batching {{ max_queue_delay_microseconds: {int(max_queue_delay_us)} }}"]
    text = "\n".join(lines) + "\n"
    if path is not None:
        _write_repository(Path(path) / name, text, onx)
    return text


def _tensor(value, batching):
    """(name, Triton type, dims, reshape or None) of a graph input or output."""
    if not value.type.HasField("tensor_type"):
        raise ValueError(
            f"Triton serves tensors only; {value.name!r} is a sequence of maps (ZipMap): "
            "export with options={MLPClassifier: {'zipmap': False}} (sknet's default)."
        )
    tensor = value.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
    if batching:
        dims = dims[1:]
    reshape = None
    if batching and not dims:  # a batch of scalars: Triton wants [1] reshaped to []
        dims, reshape = [1], []
    return value.name, _TRITON_TYPES[tensor.elem_type], dims, reshape


def _block(field, tensors):
    entries = []
    for name, dtype, dims, reshape in tensors:
        entry = [
            "  {",
            f'    name: "{name}"',
            f"    data_type: {dtype}",
            f"    dims: {_list(dims)}",
        ]
        if reshape is not None:
            entry.append(f"    reshape: {{ shape: {_list(reshape)} }}")
        entries.append("\n".join([*entry, "  }"]))
    return [f"{field} [", ",\n".join(entries), "]"]


def _list(values):
    return "[ " + ", ".join(str(v) for v in values) + (" ]" if values else "]")


def _write_repository(folder, text, onx):
    (folder / "1").mkdir(parents=True, exist_ok=True)
    (folder / "config.pbtxt").write_text(text)
    onnx.save(onx, folder / "1" / "model.onnx")
