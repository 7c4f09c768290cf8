"""Losses, each paired with the output activation that is its inverse link.

For every pair here the gradient of the loss with respect to the output
layer's pre-activation ``Z`` is ``f(Z) - Y`` (the canonical-link identity), so
the backward pass starts from one subtraction. Loss values are computed from
``Z`` itself (log-sum-exp, softplus), never from clipped probabilities, so they
stay finite and exact for confident predictions.

Targets ``Y`` have the shape of ``Z``. For the two log-losses they may be
*soft*: a row of ``log_loss`` targets is any probability distribution over
the classes (one-hot labels, or class probabilities such as a teacher's in
knowledge distillation), and ``binary_log_loss`` targets are any values in
[0, 1]. The per-sample loss is then the cross-entropy ``-sum(y * log f(z))``
(which equals the KL divergence from ``y`` to ``f(z)`` plus the entropy of
``y``, a constant), and ``f(Z) - Y`` is still its exact gradient.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy

from .activations import OUTPUT_ACTIVATIONS, exp


@dataclass(frozen=True)
class Loss:
    """A loss: per-sample values from logits, and its output activation."""

    name: str
    out_activation: str
    per_sample: Callable  # (Z, Y) -> (n_samples,) losses, Z unchanged
    # Optional (Z, Y) -> per-sample losses that also turns Z into f(Z) in
    # place, sharing the work of the two (for softmax: one exp, not two).
    fused: Callable = None


def _squared_error(Z, Y):
    R = Z - Y
    return 0.5 * np.einsum("ij,ij->i", R, R)


def _poisson(Z, Y):
    # Half Poisson deviance with log link, including the y*log(y) - y term
    # so that a perfect fit has zero loss (as scikit-learn reports it).
    return (exp(Z.copy()) - Y * Z + xlogy(Y, Y) - Y).sum(axis=1)


def _log_loss(Z, Y):
    top = Z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(Z - top).sum(axis=1)) + top[:, 0]
    return lse - np.einsum("ij,ij->i", Y, Z)


def _log_loss_fused(Z, Y):
    # When each row of Y sums to one (one-hot labels or soft targets),
    # lse(Z) - <y, z> is unchanged by shifting each row of Z by its maximum;
    # the shifted exponentials then give softmax.
    Z -= Z.max(axis=1, keepdims=True)
    yz = np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    total = Z.sum(axis=1)
    Z /= total[:, None]
    return np.log(total) - yz


def _binary_log_loss(Z, Y):
    return (np.logaddexp(0, Z) - Y * Z).sum(axis=1)


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("squared_error", "identity", _squared_error),
        Loss("poisson", "exp", _poisson),
        Loss("log_loss", "softmax", _log_loss, _log_loss_fused),
        Loss("binary_log_loss", "logistic", _binary_log_loss),
    )
}
"""Losses by name."""


def loss_and_delta(loss, Z, Y, sample_weight=None):
    """Weighted mean loss of a batch, and its output delta written into ``Z``.

    ``Z`` (n_samples, n_outputs) holds the output pre-activations on entry and
    ``sample_weight * (f(Z) - Y)`` on return: the gradient of the weighted
    *sum* of per-sample losses. The caller divides by the weight total.
    """
    if loss.fused is not None:
        value = _mean(loss.fused(Z, Y), sample_weight)
    else:
        value = _mean(loss.per_sample(Z, Y), sample_weight)
        OUTPUT_ACTIVATIONS[loss.out_activation](Z)
    Z -= Y
    if sample_weight is not None:
        Z *= sample_weight[:, None]
    return value


def mean_loss(loss, Z, Y, sample_weight=None):
    """Weighted mean loss of the logits ``Z`` against ``Y``; ``Z`` unchanged."""
    return _mean(loss.per_sample(Z, Y), sample_weight)


def _mean(values, weights):
    """Weighted mean; plainer and several times faster than np.average."""
    if weights is None:
        return float(values.mean())
    return float(np.dot(values, weights) / weights.sum())
