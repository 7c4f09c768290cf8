"""triton_config: parsed back with protobuf's strict text parser against Triton's schema.

The schema is the part of Triton's ``model_config.proto``
(github.com/triton-inference-server/common, protobuf/model_config.proto)
that the configuration uses, with Triton's field names and numbers; the
parser refuses any field or enum value not in it.
"""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from onnx_cases import TASKS, X, fitted, fitted_frame_pipeline, frame, run

from sknet.onnx import OnnxPredictor, to_onnx, triton_config

F = descriptor_pb2.FieldDescriptorProto
DATA_TYPES = ["INVALID", "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16"]
DATA_TYPES += ["INT32", "INT64", "FP16", "FP32", "FP64", "STRING", "BF16"]
NUMPY = {"BOOL": np.bool_, "INT64": np.int64, "UINT64": np.uint64, "FP32": np.float32}
NUMPY.update({"FP64": np.float64, "FP16": np.float16, "STRING": np.object_})


def _field(message, name, number, kind, repeated=False, type_name=None):
    field = message.field.add(name=name, number=number, type=kind)
    field.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
    if type_name:
        field.type_name = type_name


def model_config_class():
    """Triton's ModelConfig message, as far as triton_config writes it."""
    file = descriptor_pb2.FileDescriptorProto(name="model_config.proto", package="inference")
    file.syntax = "proto3"
    data_type = file.enum_type.add(name="DataType")
    for number, name in enumerate(DATA_TYPES):
        data_type.value.add(name=f"TYPE_{name}", number=number)
    reshape = file.message_type.add(name="ModelTensorReshape")
    _field(reshape, "shape", 1, F.TYPE_INT64, repeated=True)
    for kind, dims in [("ModelInput", 4), ("ModelOutput", 3)]:
        message = file.message_type.add(name=kind)
        _field(message, "name", 1, F.TYPE_STRING)
        _field(message, "data_type", 2, F.TYPE_ENUM, type_name=".inference.DataType")
        _field(message, "dims", dims, F.TYPE_INT64, repeated=True)
        _field(message, "reshape", 5, F.TYPE_MESSAGE, type_name=".inference.ModelTensorReshape")
    group = file.message_type.add(name="ModelInstanceGroup")
    kinds = group.enum_type.add(name="Kind")
    for number, name in enumerate(["KIND_AUTO", "KIND_GPU", "KIND_CPU", "KIND_MODEL"]):
        kinds.value.add(name=name, number=number)
    _field(group, "count", 2, F.TYPE_INT32)
    _field(group, "kind", 4, F.TYPE_ENUM, type_name=".inference.ModelInstanceGroup.Kind")
    batching = file.message_type.add(name="ModelDynamicBatching")
    _field(batching, "preferred_batch_size", 1, F.TYPE_INT32, repeated=True)
    _field(batching, "max_queue_delay_microseconds", 2, F.TYPE_UINT64)
    config = file.message_type.add(name="ModelConfig")
    _field(config, "name", 1, F.TYPE_STRING)
    _field(config, "platform", 2, F.TYPE_STRING)
    _field(config, "max_batch_size", 4, F.TYPE_INT32)
    for name, number, kind in [("input", 5, "ModelInput"), ("output", 6, "ModelOutput")]:
        _field(config, name, number, F.TYPE_MESSAGE, repeated=True, type_name=f".inference.{kind}")
    _field(config, "instance_group", 7, F.TYPE_MESSAGE, True, ".inference.ModelInstanceGroup")
    _field(config, "dynamic_batching", 11, F.TYPE_MESSAGE, False, ".inference.ModelDynamicBatching")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("inference.ModelConfig"))


ModelConfig = model_config_class()


def parse(text):
    return text_format.Parse(text, ModelConfig())


def triton_shape(tensor, batch, batching):
    """The shape Triton hands the backend for ``batch`` rows."""
    dims = list(tensor.reshape.shape) if tensor.HasField("reshape") else list(tensor.dims)
    return [batch, *dims] if batching else [batch if d == -1 else d for d in dims]


@pytest.mark.parametrize("max_batch_size", [256, 0])
@pytest.mark.parametrize("task", TASKS)
def test_config_matches_what_the_model_computes(task, max_batch_size):
    model = fitted(task, "relu", np.float32)
    onx = to_onnx(model)
    config = parse(triton_config(onx, f"sknet-{task}", max_batch_size=max_batch_size))
    assert config.name == f"sknet-{task}" and config.platform == "onnxruntime_onnx"
    assert config.max_batch_size == max_batch_size
    assert config.HasField("dynamic_batching") == (max_batch_size > 0)
    assert [(g.kind, g.count) for g in config.instance_group] == [(1, 1)]  # KIND_GPU
    (model_input,) = config.input
    assert model_input.name == "X" and list(model_input.dims)[-1] == X.shape[1]
    Xb = X[:7].astype(np.float32)
    assert triton_shape(model_input, 7, max_batch_size > 0) == list(Xb.shape)
    for spec, value in zip(config.output, run(onx, Xb), strict=True):
        assert triton_shape(spec, 7, max_batch_size > 0) == list(value.shape)
        assert value.dtype == NUMPY[DATA_TYPES[spec.data_type]]


def test_dataframe_models_get_one_input_per_column(tmp_path):
    df, _ = frame()
    pipeline = fitted_frame_pipeline("binary-str")
    text = triton_config(to_onnx(pipeline, df), "churn", path=tmp_path)
    config = parse(text)
    assert [(i.name, DATA_TYPES[i.data_type], list(i.dims)) for i in config.input] == [
        ("annual_income", "FP64", [1]),
        ("age", "INT64", [1]),
        ("member", "BOOL", [1]),
        ("city", "STRING", [1]),
        ("plan", "STRING", [1]),
    ]
    assert (tmp_path / "churn" / "config.pbtxt").read_text() == text
    served = OnnxPredictor(tmp_path / "churn" / "1" / "model.onnx", ["CPUExecutionProvider"])
    np.testing.assert_array_equal(served.predict(df), pipeline.predict(df))


def test_int8_runs_on_cpu_instances_and_zipmap_is_refused():
    model = fitted("multiclass", "relu", np.float32)
    config = parse(triton_config(to_onnx(model, compress="int8"), "int8"))
    assert config.instance_group[0].kind == 2  # KIND_CPU
    with pytest.raises(ValueError, match="zipmap"):
        triton_config(to_onnx(model, options={id(model): {"zipmap": True}}), "zipped")


def test_the_parser_is_strict():
    """Misspelt fields or types do not parse: the checks above can fail."""
    for bad in ['nmae: "x"', "input [ { data_type: TYPE_FLOAT } ]", "max_batch_size: 1.5"]:
        with pytest.raises(text_format.ParseError):
            parse(bad)
