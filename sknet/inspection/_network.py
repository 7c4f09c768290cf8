"""A fitted network as a function of its input, and the gradient of one output.

Everything here is read from fitted attributes (``coefs_``, ``intercepts_``,
``activation``, ``out_activation_``); the estimator is never called. The
hidden activations come from the core's registry
(:data:`sknet.nn.activations.ACTIVATIONS`), so a new activation needs no
change here.

The backward pass carries the gradient of one output value from the output
layer to the input: one ``delta @ W.T`` per layer, one matrix product more
than the forward pass per layer, and no weight gradients. The first layer is
kept apart (``first_layer``, ``forward_from``, ``first_layer_gradient``):
along a straight path in input space its pre-activation is linear, which
integrated gradients use to skip the widest products at every step.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ..nn import activations


@dataclass(frozen=True)
class Network:
    """Weights, biases and activations of a fitted MLP, in its dtype."""

    Ws: list
    bs: list
    hidden: list  # one Activation per hidden layer
    out_activation: str

    @property
    def dtype(self):
        return self.Ws[0].dtype

    @property
    def n_outputs(self):
        return self.Ws[-1].shape[1]


def read_network(estimator):
    """The :class:`Network` of a fitted MLP estimator."""
    Ws, bs = list(estimator.coefs_), list(estimator.intercepts_)
    hidden = hidden_activations(estimator.activation, len(Ws) - 1)
    out = estimator.out_activation_
    if out not in _OUTPUT_DERIVATIVES:
        raise ValueError(
            f"Attributions do not support the output activation {out!r}; "
            f"supported: {sorted(_OUTPUT_DERIVATIVES)}."
        )
    return Network(Ws, bs, hidden, out)


def hidden_activations(activation, n_hidden):
    """The activation of each hidden layer, from the estimator's ``activation``.

    ``activation`` is one name for every hidden layer, or a sequence with one
    name per hidden layer.
    """
    names = [activation] * n_hidden if isinstance(activation, str) else list(activation)
    if len(names) != n_hidden:
        raise ValueError(
            f"activation has {len(names)} names but the network has {n_hidden} hidden "
            "layers; give one name per hidden layer."
        )
    return [activations.get(name) for name in names]


def first_layer(net, X):
    """Pre-activation of the first layer: ``X @ W0 + b0``."""
    Z = X @ net.Ws[0]
    Z += net.bs[0]
    return Z


def forward(net, X):
    """Output pre-activations of the rows of ``X``, and what backward needs."""
    return forward_from(net, first_layer(net, X))


def forward_from(net, Z):
    """Output pre-activations from the first layer's pre-activation ``Z``.

    ``Z`` is overwritten. The cache holds, per hidden layer, ``(Z, A)``: the
    pre-activation (kept only for activations whose derivative needs it)
    and the activation.
    """
    cache = []
    for W, b, act in zip(net.Ws[1:], net.bs[1:], net.hidden):
        Z_kept = Z.copy() if act.needs_input else None
        A = act.forward(Z)
        cache.append((Z_kept, A))
        Z = A @ W
        Z += b
    return Z, cache


def first_layer_gradient(net, cache, dZ):
    """Gradient with respect to the first layer's pre-activation, from ``dZ``
    at the output layer."""
    delta = dZ
    for i in range(len(net.Ws) - 1, 0, -1):
        Z, A = cache[i - 1]
        delta = net.hidden[i - 1].derivative(Z, A, delta @ net.Ws[i].T)
    return delta


def input_gradient(net, cache, dZ):
    """Gradient with respect to the input, from ``dZ`` at the output layer."""
    return first_layer_gradient(net, cache, dZ) @ net.Ws[0].T


def output_value_and_grad(net, Z, index, sign, logit):
    """The explained output of each row, and its gradient with respect to ``Z``.

    Row ``r`` explains ``sign[r] * Z[r, index[r]]`` (``logit=True``) or the
    output activation's value at that index; with ``sign = -1`` (the negative
    class of a binary classifier) the explained value is ``1 - p``. Returns
    ``(values of shape (n,), dZ of Z's shape)``.
    """
    rows = np.arange(Z.shape[0])
    dZ = np.zeros_like(Z)
    sign = sign.astype(Z.dtype, copy=False)
    if logit:
        dZ[rows, index] = sign
        return sign * Z[rows, index], dZ
    P = activations.OUTPUT_ACTIVATIONS[net.out_activation](Z.copy())
    p = P[rows, index]
    _OUTPUT_DERIVATIVES[net.out_activation](P, rows, index, dZ)
    dZ *= sign[:, None]
    return np.where(sign > 0, p, 1 - p), dZ


def _softmax_derivative(P, rows, index, dZ):
    # d p_c / d z = p_c * (e_c - p)
    p = P[rows, index]
    np.multiply(P, -p[:, None], out=dZ)
    dZ[rows, index] += p


def _elementwise(derivative_from_output):
    def write(P, rows, index, dZ):
        dZ[rows, index] = derivative_from_output(P[rows, index])

    return write


_OUTPUT_DERIVATIVES = {
    "softmax": _softmax_derivative,
    "logistic": _elementwise(lambda p: p * (1 - p)),
    "exp": _elementwise(lambda p: p),
    "identity": _elementwise(np.ones_like),
}
"""Per output activation: writes d output[index] / dZ into dZ, from the outputs P."""


def predicted_index(net, Z):
    """Per row, the output index and sign of the class ``predict`` returns."""
    if net.out_activation == "softmax":
        return Z.argmax(axis=1), np.ones(Z.shape[0])
    # Binary logistic output: predict says class 1 where p > 0.5.
    positive = expit(Z[:, 0]) > 0.5
    return np.zeros(Z.shape[0], dtype=np.intp), np.where(positive, 1.0, -1.0)
