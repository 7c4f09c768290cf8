"""Exact integrated gradients for networks that are piecewise linear in their input.

When every hidden activation is linear between kinks (relu, leaky_relu,
identity: :data:`KINKS`), the network is piecewise linear along the straight
path ``x(alpha) = b + alpha (x - b)``, and the path splits into segments on
which every hidden unit keeps one linear piece:

* the first layer's pre-activations are linear in ``alpha``: a unit crosses
  a kink where the line through its values at the two ends does;
* with those crossings added, the next layer's pre-activations are linear
  between consecutive points, so their crossings are found the same way
  from their values at the points; and so on, layer by layer.

On each segment the output logits are linear in ``alpha`` and the gradient
of the logits with respect to the input is constant, so the path integral
is a sum over segments of the segment's length times one backward pass, with
the output gradient averaged over the segment: exact for logits (it is
constant), and for probabilities by a Gauss-Legendre rule with enough nodes
for the change of the logits on the segment (:func:`_nodes_needed`). That
average is over output values only; the network is not evaluated per node.
"""

import numpy as np
import scipy.sparse as sp

from ._network import first_layer_gradient, forward_from, output_value_and_grad
from ._quadrature import gauss_legendre

KINKS = {"identity": (), "relu": (0.0,), "leaky_relu": (0.0,)}
"""Hidden activations that are linear between these points of their input.

An activation named here must be linear on each interval between its kinks
(the tests check this against the core's registry); any other activation is
integrated by quadrature.
"""

MAX_NODES = 256
"""Most Gauss-Legendre nodes on one segment: rounding-level up to a logit
change of about 45 on it, about 1e-7 at 100 (see :func:`_nodes_needed`)."""

_MAX_POINTS = 2**20
"""Output values evaluated at once when averaging output gradients."""


def is_piecewise_linear(net):
    """Whether every hidden activation of ``net`` is linear between kinks."""
    return all(act.name in KINKS for act in net.hidden)


def exact_path_average(net, Z_base, Z_change, pair, logit):
    """The input gradient averaged along the path, per row, for one output.

    ``Z_base`` and ``Z_change``: the first layer's pre-activation at the
    baseline and its change to ``x``, per row; ``pair``: the explained
    ``(index, sign)`` per row. Exact to rounding when
    :func:`is_piecewise_linear` holds.
    """
    rows, alpha, Z_out = breakpoints(net, Z_base, Z_change)
    first = np.flatnonzero(rows[1:] == rows[:-1])  # segment k runs from point k to k + 1
    owner, length = rows[first], alpha[first + 1] - alpha[first]
    Z = Z_change[owner]
    Z *= (alpha[first] + length / 2)[:, None]
    Z += Z_base[owner]  # the first layer at the middle of each segment
    _, cache = forward_from(net, Z)
    index, sign = pair[0][owner], pair[1][owner]
    if logit or net.out_activation == "identity":  # d output / d Z is constant
        _, dZ = output_value_and_grad(net, Z_out[first], index, sign, logit)
    else:
        dZ = _mean_output_gradient(net, Z_out[first], Z_out[first + 1], index, sign)
    delta = first_layer_gradient(net, cache, dZ)
    # Each row's sum over its segments, weighted by their lengths, as one sparse product.
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # every row has a segment
    total = sp.csr_array((length, np.arange(owner.size), np.r_[starts, owner.size]))
    return (total @ delta) @ net.Ws[0].T


def breakpoints(net, Z_base, Z_change):
    """The points of each row's path where a hidden unit crosses a kink.

    Returns ``(rows, alpha, Z_out)``, sorted by row then ``alpha``: every
    row's points, its ends ``alpha = 0`` and ``1`` included, and the output
    layer's pre-activation at each.
    """
    n, width = Z_base.shape
    rows = np.repeat(np.arange(n), 2)
    alpha = np.tile(np.array([0, 1], dtype=Z_base.dtype), n)
    Z = np.empty((2 * n, width), dtype=Z_base.dtype)
    Z[0::2], Z[1::2] = Z_base, Z_base + Z_change
    for act, W, b in zip(net.hidden, net.Ws[1:], net.bs[1:]):
        rows, alpha, Z = _split_at_kinks(rows, alpha, Z, KINKS[act.name])
        Z = act.forward(Z) @ W
        Z += b
    return rows, alpha, Z


def _split_at_kinks(rows, alpha, Z, kinks):
    """Add the points where a column of ``Z`` crosses a kink.

    ``Z`` is linear between consecutive points of a row, so a crossing lies
    where the line through its two values does; every column of ``Z`` is
    interpolated there, exactly.
    """
    found = [(np.empty(0, dtype=np.intp), alpha[:0])]
    for kink in kinks:
        above = kink < Z
        i, j = np.nonzero(above[1:] != above[:-1])
        within = rows[i] == rows[i + 1]  # not from one row's end to the next row's start
        i, j = i[within], j[within]
        found.append((i, (Z[i, j] - kink) / (Z[i, j] - Z[i + 1, j])))
    i, t = (np.concatenate(parts) for parts in zip(*found))
    if not i.size:
        return rows, alpha, Z
    new = Z[i + 1]
    new -= Z[i]
    new *= t[:, None]
    new += Z[i]
    rows = np.concatenate([rows, rows[i]])
    alpha = np.concatenate([alpha, alpha[i] + t * (alpha[i + 1] - alpha[i])])
    order = np.lexsort((alpha, rows))
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    merged = np.empty((order.size, Z.shape[1]), dtype=Z.dtype)
    merged[position[: len(Z)]], merged[position[len(Z) :]] = Z, new
    return rows[order], alpha[order], merged


def _mean_output_gradient(net, Z_start, Z_end, index, sign):
    """Per segment, the mean of d output / d Z while ``Z`` runs linearly
    from ``Z_start`` to ``Z_end``: Gauss-Legendre, with nodes per segment
    from :func:`_nodes_needed`, about ``_MAX_POINTS`` points at a time."""
    change = Z_end - Z_start
    if net.out_activation == "softmax":  # shifting every logit changes nothing
        spread = change.max(axis=1) - change.min(axis=1)
    else:
        spread = np.abs(change).max(axis=1)
    n_nodes = _nodes_needed(spread)
    mean = np.empty_like(Z_start)
    for n in np.unique(n_nodes):
        nodes, weights = gauss_legendre(int(n), 1, Z_start.dtype.str)
        group, step = np.flatnonzero(n_nodes == n), max(1, _MAX_POINTS // (n * Z_start.shape[1]))
        for at in (group[s : s + step] for s in range(0, group.size, step)):
            Z = Z_start[at] + nodes[:, None, None] * change[at]  # (nodes, segments, outputs)
            Z = Z.reshape(-1, Z_start.shape[1])
            i, s = np.tile(index[at], n), np.tile(sign[at], n)
            _, dZ = output_value_and_grad(net, Z, i, s, False)
            mean[at] = np.tensordot(weights, dZ.reshape(n, at.size, -1), axes=1)
    return mean


def _nodes_needed(spread):
    """Gauss-Legendre nodes (a power of 2) for rounding-level accuracy.

    The softmax and the logistic of ``z0 + t dz``, ``t`` in [0, 1], are
    analytic in the strip ``|Im t| < pi / spread``, where ``spread`` is the
    range of ``dz`` (the exponential too, with no singularity at all); an
    n-node rule then errs by about ``rho ** -2n`` with ``log rho =
    asinh(pi / spread)`` (an ellipse within half the strip). 18 / log rho
    nodes bring that below 1e-15.
    """
    with np.errstate(divide="ignore"):
        log_rho = np.arcsinh(np.pi / spread)
        needed = np.fmin(np.ceil(18 / log_rho), MAX_NODES)  # fmin: NaN (overflow) gets the most
    return 2 ** np.ceil(np.log2(np.fmax(needed, 1))).astype(int)
