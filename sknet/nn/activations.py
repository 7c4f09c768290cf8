"""Activation functions: a forward pass and a derivative per name.

Every forward function works in place: it overwrites the pre-activation ``Z``
with the activation ``A = f(Z)`` and returns it, so a layer needs one buffer.
Every derivative multiplies the incoming gradient ``dA`` in place by
``f'(Z)``, written from the output ``A`` wherever the math allows. The
activations whose derivative cannot be recovered from ``A`` (gelu, silu, mish:
not monotonic, so ``A`` does not determine ``Z``) declare ``needs_input=True``
and the network keeps a copy of ``Z`` for the layers that use them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import erf, expit

LEAKY_RELU_SLOPE = 0.01
"""Negative slope of ``leaky_relu`` (ONNX ``LeakyRelu`` default alpha)."""

ELU_ALPHA = 1.0
"""Scale of the negative part of ``elu`` (ONNX ``Elu`` default alpha)."""


@dataclass(frozen=True)
class Activation:
    """A hidden-layer activation.

    forward(Z) -> A, in place.
    derivative(Z, A, dA) multiplies dA by f'(Z) in place; Z is None unless
    ``needs_input`` is true.
    init_factor: the Glorot-uniform bound of the weights feeding the layer is
    ``sqrt(init_factor / (n_in + n_out))``; scikit-learn's factors, 2 for
    logistic and 6 otherwise, so the same seed starts from the same weights.
    """

    name: str
    forward: Callable
    derivative: Callable
    needs_input: bool = False
    init_factor: float = 6.0


def _identity(Z):
    return Z


def _identity_derivative(Z, A, dA):
    return dA


def _logistic(Z):
    return expit(Z, out=Z)


def _logistic_derivative(Z, A, dA):
    dA *= A
    dA *= 1 - A
    return dA


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _tanh_derivative(Z, A, dA):
    dA *= 1 - A * A
    return dA


def _relu(Z):
    # max(Z, zeros) with a same-shape array of zeros runs faster in
    # NumPy 2.x than with a scalar 0 or a broadcast row (no SIMD loop for
    # those): a batch is compared with cached zeros of its shape, larger or
    # non-contiguous arrays block by block.
    if Z.size <= _ZEROS:
        return np.maximum(Z, _zeros(Z.shape, Z.dtype.str), out=Z)
    if not Z.flags.c_contiguous:
        return np.maximum(Z, _zeros(Z.shape[-1:], Z.dtype.str), out=Z)
    flat = Z.reshape(-1)
    zeros = _zeros((_ZEROS,), Z.dtype.str)
    for start in range(0, flat.size, _ZEROS):
        block = flat[start : start + _ZEROS]
        np.maximum(block, zeros[: block.size], out=block)
    return Z


_ZEROS = 1 << 16
"""Most entries ``relu`` compares with one array of zeros (256 KiB in float32)."""


@lru_cache(maxsize=16)  # at most 8 MiB of zeros (float64)
def _zeros(shape, dtype):
    zeros = np.zeros(shape, dtype=dtype)
    zeros.flags.writeable = False
    return zeros


def _relu_derivative(Z, A, dA):
    return np.multiply(dA, A > 0, out=dA)


def _leaky_relu(Z):
    # max(z, s*z) is the leaky relu for any slope s in [0, 1].
    return np.maximum(Z, Z * Z.dtype.type(LEAKY_RELU_SLOPE), out=Z)


def _leaky_relu_derivative(Z, A, dA):
    one, slope = A.dtype.type(1), A.dtype.type(LEAKY_RELU_SLOPE)
    dA *= np.where(A > 0, one, slope)
    return dA


def _elu(Z):
    negative = np.expm1(np.minimum(Z, 0))  # never overflows
    if ELU_ALPHA != 1.0:
        negative *= ELU_ALPHA
    np.maximum(Z, 0, out=Z)
    Z += negative
    return Z


def _elu_derivative(Z, A, dA):
    # For z < 0, f'(z) = alpha * exp(z) = A + alpha.
    dA *= np.where(A > 0, A.dtype.type(1), A + A.dtype.type(ELU_ALPHA))
    return dA


def _softplus(Z):
    return np.logaddexp(0, Z, out=Z)


def _softplus_derivative(Z, A, dA):
    # f'(z) = sigmoid(z) = 1 - exp(-A), exact and stable since A >= 0.
    dA *= -np.expm1(-A)
    return dA


_SQRT_HALF = np.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _gelu(Z):
    cdf = erf(Z * Z.dtype.type(_SQRT_HALF))
    cdf += 1
    cdf *= 0.5
    Z *= cdf
    return Z


def _gelu_derivative(Z, A, dA):
    # f'(z) = Phi(z) + z * phi(z)
    grad = erf(Z * Z.dtype.type(_SQRT_HALF))
    grad += 1
    grad *= 0.5
    grad += Z * np.exp(-0.5 * Z * Z) * Z.dtype.type(_INV_SQRT_2PI)
    dA *= grad
    return dA


def _silu(Z):
    # z * sigmoid(z); expit saturates to 0 or 1 without overflow.
    Z *= expit(Z)
    return Z


def _silu_derivative(Z, A, dA):
    # f'(z) = s + z * s * (1 - s) = s + A * (1 - s), with s = sigmoid(z).
    s = expit(Z)
    grad = 1 - s
    grad *= A
    grad += s
    dA *= grad
    return dA


def _tanh_softplus(Z):
    return np.tanh(np.logaddexp(0, Z))


def _mish(Z):
    # z * tanh(softplus(z)); logaddexp and tanh never overflow.
    Z *= _tanh_softplus(Z)
    return Z


def _mish_derivative(Z, A, dA):
    # f'(z) = t + z * (1 - t^2) * sigmoid(z), with t = tanh(softplus(z)).
    t = _tanh_softplus(Z)
    grad = t * t
    np.subtract(1, grad, out=grad)
    grad *= Z
    grad *= expit(Z)
    grad += t
    dA *= grad
    return dA


ACTIVATIONS = {
    a.name: a
    for a in (
        Activation("identity", _identity, _identity_derivative),
        Activation("logistic", _logistic, _logistic_derivative, init_factor=2.0),
        Activation("tanh", _tanh, _tanh_derivative),
        Activation("relu", _relu, _relu_derivative),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative),
        Activation("elu", _elu, _elu_derivative),
        Activation("gelu", _gelu, _gelu_derivative, needs_input=True),
        Activation("softplus", _softplus, _softplus_derivative),
        Activation("silu", _silu, _silu_derivative, needs_input=True),
        Activation("mish", _mish, _mish_derivative, needs_input=True),
    )
}
"""Hidden activations by name."""


def softmax(Z):
    """Row-wise softmax in place, shifted by the row maximum (no overflow)."""
    Z -= row_max(Z)[:, None]
    np.exp(Z, out=Z)
    Z /= row_sum(Z)[:, None]
    return Z


def row_max(Z):
    """``Z.max(axis=1)`` of a 2-D array, fast for many rows of few columns.

    NumPy reduces along a short last axis one row at a time; a maximum over
    the columns in turn takes a few vectorized calls instead. NumPy's reduction stays for a few
    rows or many columns, where it is the faster.
    """
    n_rows, n_columns = Z.shape
    if n_rows < _MANY_ROWS or not 2 <= n_columns <= _FEW_COLUMNS:
        return Z.max(axis=1)
    top = np.maximum(Z[:, 0], Z[:, 1])
    for j in range(2, n_columns):
        np.maximum(top, Z[:, j], out=top)
    return top


_MANY_ROWS, _FEW_COLUMNS = 32, 16


def row_sum(Z):
    """``Z.sum(axis=1)`` of a 2-D array; from 32 rows on, one BLAS product
    with ones (faster than NumPy's reduction along a short last axis)."""
    if Z.shape[0] < _MANY_ROWS:
        return Z.sum(axis=1)
    return np.matmul(Z, _ones(Z.shape[1], Z.dtype.str))


@lru_cache(maxsize=64)
def _ones(size, dtype):
    ones = np.ones(size, dtype=dtype)
    ones.flags.writeable = False
    return ones


def exp(Z):
    """Exponential in place, clipped below the dtype's overflow point."""
    np.minimum(Z, np.floor(np.log(np.finfo(Z.dtype).max)), out=Z)
    return np.exp(Z, out=Z)


def log_softmax(Z):
    """Row-wise log of the softmax, from the logits (exact for large |Z|)."""
    Z = Z - Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def log_logistic(Z):
    """``log(1 / (1 + exp(-Z)))`` computed as ``-logaddexp(0, -Z)``."""
    return -np.logaddexp(0, -Z)


OUTPUT_ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "softmax": softmax,
    "exp": exp,
}
"""Output activations by name; each is the inverse link of a loss."""


def get(name):
    """Return the hidden activation called ``name``."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}."
        ) from None
