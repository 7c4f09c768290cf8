"""Smaller networks: structured pruning and knowledge distillation.

``prune`` removes whole hidden units from a fitted network and fine-tunes
what remains; ``distill`` trains a small network to reproduce any fitted
classifier or regressor. Both return ordinary fitted sknet estimators, so
``sknet.onnx.to_onnx`` (with ``compress="float16"`` or ``"int8"``) exports
them like any other, in files that shrink with the parameter count.
NumPy and scikit-learn only: no extra is needed.
"""

from ._distill import distill
from ._prune import prune

__all__ = ["distill", "prune"]
