"""Losses, each paired with the output activation that is its inverse link.

For the likelihood losses here the gradient of the loss with respect to the
output layer's pre-activation ``Z`` is ``f(Z) - Y`` (the canonical-link
identity), so the backward pass starts from one subtraction. Loss values are
computed from ``Z`` itself (log-sum-exp, softplus), never from clipped
probabilities, so they stay finite and exact for confident predictions.

The robust regression losses (absolute error, Huber, quantile) use the
identity output and give their own ``gradient``. Those with a parameter are
made by a factory (``huber(delta)``, ``quantile(quantile)``), or by name with
``get(name, **params)``; ``LOSSES`` holds them with default parameters.

Targets ``Y`` have the shape of ``Z``. For the two log-losses they may be
*soft*: a row of ``log_loss`` targets is any probability distribution over
the classes (one-hot labels, or class probabilities such as a teacher's in
knowledge distillation), and ``binary_log_loss`` targets are any values in
[0, 1]. The per-sample loss is then the cross-entropy ``-sum(y * log f(z))``
(which equals the KL divergence from ``y`` to ``f(z)`` plus the entropy of
``y``, a constant), and ``f(Z) - Y`` is still its exact gradient.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy.special import xlogy

from .activations import OUTPUT_ACTIVATIONS, exp, row_max, row_sum


@dataclass(frozen=True)
class Loss:
    """A loss: per-sample values from logits, and its output activation."""

    name: str
    out_activation: str
    per_sample: Callable  # (Z, Y) -> (n_samples,) losses, Z unchanged
    # Optional (Z, Y, sample_weight=None) -> weighted mean loss that also
    # turns Z into f(Z) in place, sharing the work of the two (for softmax:
    # one exp, not two).
    fused: Callable = None
    # Optional (Z, Y) -> None that overwrites Z with dl/dZ, for losses whose
    # output delta is not f(Z) - Y (the robust regression losses).
    gradient: Callable = None
    params: dict = field(default_factory=dict, hash=False)  # e.g. {"delta": 1.0}


def _squared_error(Z, Y):
    R = Z - Y
    return 0.5 * np.einsum("ij,ij->i", R, R)


def _poisson(Z, Y):
    # Half Poisson deviance with log link, including the y*log(y) - y term
    # so that a perfect fit has zero loss (as scikit-learn reports it).
    return (exp(Z.copy()) - Y * Z + xlogy(Y, Y) - Y).sum(axis=1)


def _log_loss(Z, Y):
    top = row_max(Z)
    lse = np.log(row_sum(np.exp(Z - top[:, None]))) + top
    return lse - np.einsum("ij,ij->i", Y, Z)


def _log_loss_fused(Z, Y, sample_weight=None):
    # When each row of Y sums to one (one-hot labels or soft targets),
    # lse(Z) - <y, z> is unchanged by shifting each row of Z by its maximum;
    # the shifted exponentials then give softmax.
    # Unweighted, sum(<y, z>) over the batch is one BLAS dot product.
    Z -= row_max(Z)[:, None]
    if sample_weight is None:
        yz = float(np.vdot(Y, Z))
    else:
        yz = np.einsum("ij,ij->i", Y, Z)
    np.exp(Z, out=Z)
    total = row_sum(Z)
    Z /= total[:, None]
    lse = np.log(total, out=total)
    if sample_weight is None:
        return (float(lse.sum()) - yz) / len(lse)
    return _mean(np.subtract(lse, yz, out=lse), sample_weight)


def _binary_log_loss(Z, Y):
    return (np.logaddexp(0, Z) - Y * Z).sum(axis=1)


def _absolute_error(Z, Y):
    return np.abs(Z - Y).sum(axis=1)


def _absolute_error_gradient(Z, Y):
    # sign(z - y), taking -1 at z == y as scikit-learn's AbsoluteError does.
    np.greater(Z, Y, out=Z)
    Z *= 2
    Z -= 1


def _huber(Z, Y, delta):
    size = np.abs(Z - Y)
    return np.where(size <= delta, 0.5 * size * size, delta * (size - 0.5 * delta)).sum(axis=1)


def _huber_gradient(Z, Y, delta):
    Z -= Y
    np.clip(Z, -delta, delta, out=Z)


def _pinball(Z, Y, quantile):
    R = Y - Z
    return np.maximum(quantile * R, (quantile - 1) * R).sum(axis=1)


def _pinball_gradient(Z, Y, quantile):
    # 1[z > y] - quantile, taking -quantile at z == y as scikit-learn does.
    np.greater(Z, Y, out=Z)
    Z -= quantile


def huber(delta=1.0):
    """Huber loss: ``r**2 / 2`` for ``|r| <= delta``, ``delta * (|r| - delta / 2)``
    beyond, with ``r = z - y``; squared error near the target, absolute error
    (slope ``delta``) for outliers.

    Examples
    --------
    >>> import numpy as np
    >>> huber(delta=1.0).per_sample(np.array([[0.5], [3.0]]), np.zeros((2, 1)))
    array([0.125, 2.5  ])
    """
    if not delta > 0:
        raise ValueError(f"The Huber loss needs delta > 0; got {delta!r}.")
    return _robust("huber", _huber, _huber_gradient, delta=float(delta))


def quantile(quantile=0.5):
    """Pinball loss of the ``quantile`` level: ``max(q * r, (q - 1) * r)``
    with ``r = y - z``; its minimiser is the conditional ``q``-quantile.

    Examples
    --------
    >>> import numpy as np
    >>> quantile(0.9).per_sample(np.array([[0.0], [0.0]]), np.array([[1.0], [-1.0]]))
    array([0.9, 0.1])
    """
    if not 0 < quantile < 1:
        raise ValueError(f"The quantile loss needs 0 < quantile < 1; got {quantile!r}.")
    return _robust("quantile", _pinball, _pinball_gradient, quantile=float(quantile))


def _robust(name, per_sample, gradient, **params):
    """A robust regression loss (identity output) with its parameters bound."""
    return Loss(
        name,
        "identity",
        partial(per_sample, **params),
        gradient=partial(gradient, **params),
        params=params,
    )


LOSSES = {
    loss.name: loss
    for loss in (
        Loss("squared_error", "identity", _squared_error),
        Loss("poisson", "exp", _poisson),
        Loss("log_loss", "softmax", _log_loss, _log_loss_fused),
        Loss("binary_log_loss", "logistic", _binary_log_loss),
        Loss("absolute_error", "identity", _absolute_error, gradient=_absolute_error_gradient),
        huber(),
        quantile(),
    )
}
"""Losses by name, with default parameters."""

_FACTORIES = {"huber": huber, "quantile": quantile}


def get(name, **params):
    """The loss called ``name``, made with ``params`` if it takes any.

    Examples
    --------
    >>> get("quantile", quantile=0.9).params
    {'quantile': 0.9}
    """
    if name not in LOSSES:
        raise ValueError(f"Unknown loss {name!r}; choose one of {sorted(LOSSES)}.")
    factory = _FACTORIES.get(name)
    allowed = [] if factory is None else list(inspect.signature(factory).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"The {name!r} loss takes the parameters {allowed}; got unknown {unknown}."
        )
    return factory(**params) if factory is not None else LOSSES[name]


def loss_and_delta(loss, Z, Y, sample_weight=None):
    """Weighted mean loss of a batch, and its output delta written into ``Z``.

    ``Z`` (n_samples, n_outputs) holds the output pre-activations on entry and
    ``sample_weight * dl/dZ`` (``sample_weight * (f(Z) - Y)`` for the
    canonical pairs) on return: the gradient of the weighted *sum* of
    per-sample losses. The caller divides by the weight total.
    """
    if loss.fused is not None:
        value = loss.fused(Z, Y, sample_weight)
        Z -= Y
    elif loss.gradient is not None:
        value = _mean(loss.per_sample(Z, Y), sample_weight)
        loss.gradient(Z, Y)
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
    """Weighted mean; plainer and faster than np.average."""
    if weights is None:
        return float(values.sum() / values.shape[0])  # values.mean(), minus its overhead
    return float(np.dot(values, weights) / weights.sum())
