"""The ONNX graph of a fitted sknet network, written from its fitted attributes.

Only core ``ai.onnx`` operators whose versions onnxruntime's CUDA provider
registers for float16, float and double at the default opset are used (the
placement test checks every exported graph against ``_cuda_kernels``), so a
whole network runs on the GPU. The graph is written through a small *writer*
object, so the same code serves the standalone export and skl2onnx's
converter API::

    writer.constant(hint, array) -> name of an initializer holding ``array``
    writer.node(op_type, inputs, output=None, n_outputs=1, **attributes)
        -> name of the output (a list of names when n_outputs > 1)
    writer.dtype -> the compute dtype (float16, float32 or float64)
    writer.retyped(dtype) -> the same writer computing in another dtype

In float16 graphs the hidden layers compute in float16 and the output layer
and head (softmax, sigmoid, exp, the class index) in float32, where no output
can overflow. The estimator is never called: its ``coefs_``, ``intercepts_``,
``activation``, ``out_activation_``, ``classes_`` and ``n_outputs_`` are all
that is read.
"""

from dataclasses import dataclass

import numpy as np
from onnx.helper import np_dtype_to_tensor_dtype
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ..nn.activations import ELU_ALPHA, LEAKY_RELU_SLOPE


def _identity(writer, Z):
    return Z


def _scalar(writer, value):
    return writer.constant("c", np.array(value, writer.dtype))


def _operator(op_type, **attributes):
    def activation(writer, Z):
        return writer.node(op_type, [Z], **attributes)

    activation.__name__ = op_type
    return activation


# onnxruntime's CPU provider has no double kernel for LeakyRelu, Elu, Softplus
# and Erf; float64 graphs spell them with operators it has (as sknet computes
# them), float16/float32 graphs use the single operator.


def _leaky_relu(writer, Z):
    if writer.dtype != np.float64:
        return writer.node("LeakyRelu", [Z], alpha=LEAKY_RELU_SLOPE)
    return writer.node("Max", [Z, writer.node("Mul", [Z, _scalar(writer, LEAKY_RELU_SLOPE)])])


def _elu(writer, Z):
    """elu(z) = max(z, 0) + exp(min(z, 0)) - 1 (alpha 1)."""
    if writer.dtype != np.float64:
        return writer.node("Elu", [Z], alpha=ELU_ALPHA)
    negative = writer.node("Exp", [writer.node("Min", [Z, _scalar(writer, 0.0)])])
    negative = writer.node("Sub", [negative, _scalar(writer, 1.0)])
    return writer.node("Add", [writer.node("Relu", [Z]), negative])


def _softplus(writer, Z):
    """softplus(z) = max(z, 0) + log(1 + exp(-|z|)), which never overflows."""
    if writer.dtype != np.float64:
        return writer.node("Softplus", [Z])
    tail = writer.node("Exp", [writer.node("Neg", [writer.node("Abs", [Z])])])
    tail = writer.node("Log", [writer.node("Add", [tail, _scalar(writer, 1.0)])])
    return writer.node("Add", [writer.node("Relu", [Z]), tail])


def _erf(writer, U, clip=6.0, terms=100):
    """erf; in float64 by its series of positive terms (accurate to ~2e-15).

    erf(u) = 2/sqrt(pi) u exp(-u^2) sum_n b_n (u^2 / 36)^n, with |u| clipped to
    6, where erf(u) = +-1 in double, and b_n = 72^n / (2n+1)!!. The scaled
    coefficients stay far from zero: onnxruntime's optimizer drops an Add of
    a constant it deems zero (the unscaled 2^n / (2n+1)!! go down to 1e-160).
    """
    if writer.dtype != np.float64:
        return writer.node("Erf", [U])
    U = writer.node("Max", [writer.node("Min", [U, _scalar(writer, clip)]), _scalar(writer, -clip)])
    T = writer.node("Mul", [U, U])
    tau = writer.node("Mul", [T, _scalar(writer, 1.0 / clip**2)])
    b = np.cumprod([1.0] + [2.0 * clip**2 / (2 * n + 1) for n in range(1, terms + 1)])
    S = _scalar(writer, b[-1])
    for coefficient in b[-2::-1]:
        S = writer.node("Add", [writer.node("Mul", [S, tau]), _scalar(writer, coefficient)])
    scale = writer.node("Mul", [U, writer.node("Exp", [writer.node("Neg", [T])])])
    S = writer.node("Mul", [S, _scalar(writer, 2.0 / np.sqrt(np.pi))])
    return writer.node("Mul", [scale, S])


def _gelu(writer, Z):
    """Exact GELU, x * 0.5 * (1 + erf(x * sqrt(0.5))), in sknet's order of operations."""
    cdf = _erf(writer, writer.node("Mul", [Z, _scalar(writer, np.sqrt(0.5))]))
    cdf = writer.node("Add", [cdf, _scalar(writer, 1.0)])
    cdf = writer.node("Mul", [cdf, _scalar(writer, 0.5)])
    return writer.node("Mul", [Z, cdf])


def _silu(writer, Z):
    """silu(z) = z * sigmoid(z)."""
    return writer.node("Mul", [Z, writer.node("Sigmoid", [Z])])


def _mish(writer, Z):
    """mish(z) = z * tanh(softplus(z)), with the softplus that never overflows."""
    return writer.node("Mul", [Z, writer.node("Tanh", [_softplus(writer, Z)])])


# Hidden and output activations by the names sknet uses for them.
ACTIVATIONS = {
    "identity": _identity,
    "logistic": _operator("Sigmoid"),
    "tanh": _operator("Tanh"),
    "relu": _operator("Relu"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "gelu": _gelu,
    "softplus": _softplus,
    "silu": _silu,
    "mish": _mish,
    "softmax": _operator("Softmax", axis=1),
    "exp": _operator("Exp"),
}


@dataclass(frozen=True)
class NetworkSpec:
    """What the graph needs from a fitted estimator, and nothing else.

    ``task`` is one of ``"regression"``, ``"binary"``, ``"multiclass"`` and
    ``"multilabel"``; ``classes`` is ``None`` for regressors.
    """

    coefs: tuple
    intercepts: tuple
    activations: tuple  # one name per hidden layer
    out_activation: str
    task: str
    n_outputs: int
    classes: object = None

    @classmethod
    def from_estimator(cls, estimator):
        check_is_fitted(estimator, "coefs_")
        hidden, n_hidden = estimator.activation, len(estimator.coefs_) - 1
        hidden = (hidden,) * n_hidden if isinstance(hidden, str) else tuple(hidden)
        for name in (*hidden, estimator.out_activation_):
            if name not in ACTIVATIONS:
                raise ValueError(f"Cannot export activation {name!r} to ONNX.")
        classes = np.asarray(estimator.classes_) if is_classifier(estimator) else None
        return cls(
            coefs=tuple(estimator.coefs_),
            intercepts=tuple(estimator.intercepts_),
            activations=hidden,
            out_activation=estimator.out_activation_,
            task=_task(estimator),
            n_outputs=int(estimator.n_outputs_),
            classes=classes,
        )

    @property
    def dtype(self):
        """The dtype the network was fitted in."""
        return self.coefs[0].dtype

    @property
    def n_features(self):
        return self.coefs[0].shape[0]

    @property
    def n_columns(self):
        """Columns of ``predict_proba`` (classifiers) or of ``predict``."""
        return 2 if self.task == "binary" else self.n_outputs


def _task(estimator):
    if not is_classifier(estimator):
        return "regression"
    if estimator.out_activation_ == "softmax":
        return "multiclass"
    return "binary" if estimator.n_outputs_ == 1 else "multilabel"


def label_values(classes):
    """Class values as an ONNX-friendly array: int64, uint64, float64 or str.

    Integers are int64 as in skl2onnx, unless they are unsigned and beyond
    int64's range: those stay uint64 (int64 would wrap them to negatives).
    """
    classes = np.asarray(classes)
    if classes.dtype.kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
        return classes.astype(np.uint64)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        return classes.astype(np.float64)
    return np.array([str(c) for c in classes], dtype=object)


def io_dtype(input_dtype):
    """dtype of the graph's float outputs, as skl2onnx's MLP converter sets it.

    A float or double input gives outputs of its type; any other input (ints,
    booleans) gives float outputs.
    """
    if input_dtype in (np.float32, np.float64):
        return np.dtype(input_dtype)
    return np.dtype(np.float32)


def compute_dtype(input_dtype, spec):
    """dtype the network computes in: a float input's, else the fitted one.

    Integer and boolean inputs are cast to the dtype the network was fitted
    in, so labels agree with ``predict`` exactly; only the outputs are then
    cast to float, as ``io_dtype`` says.
    """
    if input_dtype in (np.float32, np.float64):
        return np.dtype(input_dtype)
    return np.dtype(spec.dtype)


def onnx_type(dtype):
    """The ``onnx.TensorProto`` element type of a numpy dtype."""
    return np_dtype_to_tensor_dtype(np.dtype(dtype))


def head_dtype(dtype):
    """dtype of the output layer and head: float32 in float16 graphs, else ``dtype``."""
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def _layer(writer, A, W, b):
    XW = writer.node("MatMul", [A, writer.constant("coef", W.astype(writer.dtype))])
    return writer.node("Add", [XW, writer.constant("intercept", b.astype(writer.dtype))])


def write_network(writer, X, spec):
    """Forward pass: MatMul + Add and an activation per layer (each hidden layer its own).

    ``X`` and the hidden layers are in ``writer.dtype``; the output layer
    computes in ``head_dtype``, each with weights stored in its dtype (a
    float16 export keeps the output layer's weights in float32: the
    intercept of a regressor of prices is beyond float16's range). Returns
    the writer of the output layer's dtype and the name of its activation.
    """
    A = X
    for W, b, name in zip(spec.coefs[:-1], spec.intercepts[:-1], spec.activations, strict=True):
        A = ACTIVATIONS[name](writer, _layer(writer, A, W, b))
    head = writer.retyped(head_dtype(writer.dtype))
    A = cast(writer, A, writer.dtype, head.dtype)
    Z = _layer(head, A, spec.coefs[-1], spec.intercepts[-1])
    return head, ACTIVATIONS[spec.out_activation](head, Z)


def cast(writer, X, from_dtype, to_dtype, output=None):
    """``X`` as ``to_dtype`` (named ``output`` when given): a Cast where needed."""
    if np.dtype(from_dtype) != np.dtype(to_dtype):
        return writer.node("Cast", [X], output, to=onnx_type(to_dtype))
    return X if output is None else writer.node("Identity", [X], output)


def _flat(writer, index):
    return writer.node("Reshape", [index, writer.constant("flat", np.array([-1], np.int64))])


def _binary_head(writer, A):
    """P(class 1) -> probabilities [1 - p, p] and index (p > 0.5), as sklearn."""
    one = writer.constant("one", np.array([1.0], writer.dtype))
    proba = writer.node("Concat", [writer.node("Sub", [one, A]), A], axis=1)
    return proba, _flat(writer, _above_half(writer, A))


def _multiclass_head(writer, A):
    """The class index by TopK(k=1), which returns the first of tied maxima as argmax.

    Not ArgMax: onnxruntime registers CUDA kernels for ArgMax up to opset 11
    only before release 1.21, and the node falls back to the CPU; TopK-11
    has a CUDA kernel in every release.
    """
    k = writer.constant("k", np.array([1], np.int64))
    _, index = writer.node("TopK", [A, k], n_outputs=2, axis=1, largest=1, sorted=1)
    return A, _flat(writer, index)


def _multilabel_head(writer, A):
    return A, _above_half(writer, A)


def _above_half(writer, A):
    half = writer.constant("half", np.array(0.5, writer.dtype))
    return writer.node("Cast", [writer.node("Greater", [A, half])], to=onnx_type(np.int64))


HEADS = {"binary": _binary_head, "multiclass": _multiclass_head, "multilabel": _multilabel_head}


def write_classifier(writer, X, spec, label, probabilities, out_dtype, nocl=False):
    """Write a classifier: ``label`` (N,) or (N, n_labels), ``probabilities`` (N, C).

    ``X`` is in the compute dtype ``writer.dtype``; ``probabilities`` is
    ``out_dtype``. ``nocl=True`` outputs class indices instead of class values.
    """
    writer, A = write_network(writer, X, spec)
    proba, index = HEADS[spec.task](writer, A)
    cast(writer, proba, writer.dtype, out_dtype, probabilities)
    if spec.task == "multilabel" or nocl:
        return writer.node("Identity", [index], label)
    classes = writer.constant("classes", label_values(spec.classes))
    return writer.node("Gather", [classes, index], label, axis=0)


def write_regressor(writer, X, spec, output, out_dtype):
    """Write a regressor: ``output`` (N, n_outputs), (N, 1) for one target as in skl2onnx."""
    writer, A = write_network(writer, X, spec)
    return cast(writer, A, writer.dtype, out_dtype, output)
