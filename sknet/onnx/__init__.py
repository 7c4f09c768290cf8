"""ONNX export of sknet networks and onnxruntime inference.

``to_onnx`` exports a fitted sknet estimator, or a scikit-learn Pipeline or
other composite holding one, to an ``onnx.ModelProto``. Importing this module
also registers sknet's converters with skl2onnx, so ``skl2onnx.to_onnx`` works
on pipelines that contain sknet estimators. ``OnnxPredictor`` runs an exported
model with onnxruntime, on CUDA when it is available; ``triton_config``
writes the configuration Triton Inference Server serves it with.

Needs the ``onnx`` extra (``pip install "sknet[onnx]"``), or ``onnx-gpu`` for
CUDA (``pip install "sknet[onnx-gpu]"``); never install both: onnxruntime and
onnxruntime-gpu provide the same ``onnxruntime`` module.
"""

try:
    import onnx  # noqa: F401
    import onnxruntime  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as error:
    raise ImportError(
        f"sknet.onnx needs onnx, onnxruntime and skl2onnx ({error}). Install them with "
        'pip install "sknet[onnx]", or pip install "sknet[onnx-gpu]" for CUDA '
        "(never both: onnxruntime and onnxruntime-gpu overwrite each other)."
    ) from error

from .._estimators import MLPClassifier, MLPRegressor
from ._compress import quantize_int8
from ._export import to_onnx
from ._placement import DEFAULT_OPSET, cuda_fallbacks
from ._predictor import OnnxPredictor
from ._skl2onnx import register
from ._triton import triton_config

register(MLPClassifier)
register(MLPRegressor)

__all__ = [
    "DEFAULT_OPSET",
    "OnnxPredictor",
    "cuda_fallbacks",
    "quantize_int8",
    "register",
    "to_onnx",
    "triton_config",
]
