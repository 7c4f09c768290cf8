"""Integrated gradients: the gradient averaged along the straight path from the baseline.

Along ``x(alpha) = b + alpha (x - b)`` the first layer's pre-activation is
``Z_base + alpha Z_change``, linear in ``alpha``: it is interpolated instead
of recomputed per step, and the weighted sum over steps is taken before the
last product with ``W0.T``. So the input-wide products run once per row,
not once per step.

Every row first gets the ``n_steps``-point Gauss-Legendre rule, exact to
rounding for smooth networks. Where the gradient has kinks or jumps along
the path that rule converges slowly, so the rows that miss completeness by
more than the tolerance are recomputed: exactly, segment by segment, when
the network is piecewise linear (:mod:`._pieces`); else on composite rules
of 2, 4, ... :data:`MAX_PANELS` panels.
"""

import warnings

import numpy as np

from ._network import first_layer, first_layer_gradient, forward_from, output_value_and_grad
from ._pieces import exact_path_average, is_piecewise_linear
from ._quadrature import gauss_legendre

MAX_PANELS = 64
"""At most this many panels of ``n_steps`` nodes per row, for networks that
are not piecewise linear."""


def integrated(net, X, B, pairs, logit, rule, ends, per_pass):
    """Per ``(index, sign)`` pair, the input gradient averaged from ``B`` to ``X``.

    ``rule = (n_steps, tol)``: with ``tol`` None, the plain ``n_steps``-point
    rule; else rows whose attributions miss completeness by more than
    ``tol`` (relative) are recomputed. ``ends``: per pair, the explained
    output at ``X`` and at ``B``. Steps go in passes of about ``per_pass``
    points. Returns one ``(rows, n_features)`` array per pair, and how
    many rows (over the pairs) still miss the tolerance.
    """
    n_steps, tol = rule
    Z_base = first_layer(net, B)
    Z_change = first_layer(net, X) - Z_base
    plain = gauss_legendre(n_steps, 1, X.dtype.str)
    grads = path_average(net, Z_base, Z_change, pairs, logit, plain, per_pass)
    if tol is None:
        return grads, 0
    exact, missed = is_piecewise_linear(net), 0
    for G, (index, sign), (f_x, f_b) in zip(grads, pairs, ends):
        goal = (X - B, f_x - f_b, _bound(f_x, f_b, tol))
        todo = np.flatnonzero(_misses(G, goal))
        if not todo.size:
            continue
        path = (Z_base[todo], Z_change[todo], (index[todo], sign[todo]))
        if exact:
            G[todo] = exact_path_average(net, *path, logit)
        else:
            G[todo], left = _refine(net, path, [g[todo] for g in goal], logit, n_steps, per_pass)
            missed += left
    return grads, missed


def path_average(net, Z_base, Z_change, pairs, logit, rule, per_pass):
    """Per pair, the input gradient averaged along the path by quadrature.

    ``Z_base`` and ``Z_change``: the first layer's pre-activation at the
    baseline and its change to ``x``, per row. ``rule``: nodes in [0, 1] and
    weights summing to 1.
    """
    nodes, weights = rule
    rows, width = Z_change.shape
    totals = [np.zeros((rows, width), dtype=Z_change.dtype) for _ in pairs]
    step = max(1, per_pass // rows)
    for s in range(0, nodes.size, step):
        alpha, w = nodes[s : s + step], weights[s : s + step]
        Z = Z_base[None, :, :] + alpha[:, None, None] * Z_change[None, :, :]  # (steps, rows, .)
        Z_out, cache = forward_from(net, Z.reshape(-1, width))
        for total, (index, sign) in zip(totals, pairs):
            index, sign = np.tile(index, alpha.size), np.tile(sign, alpha.size)
            _, dZ = output_value_and_grad(net, Z_out, index, sign, logit)
            delta = first_layer_gradient(net, cache, dZ)
            total += (w @ delta.reshape(alpha.size, -1)).reshape(rows, width)  # sum_s w_s delta_s
    return [total @ net.Ws[0].T for total in totals]


def _bound(f_x, f_b, tol):
    """The largest completeness gap allowed per row: ``tol |f_x - f_b|``, and
    never below the rounding of the outputs themselves."""
    return tol * np.abs(f_x - f_b) + 4 * np.finfo(f_x.dtype).eps * (np.abs(f_x) + np.abs(f_b))


def _misses(G, goal):
    """Whether each row's attributions ``G * (x - b)`` miss the goal
    ``(x - b, f(x) - f(b), bound)``."""
    D, change, bound = goal
    return np.abs(np.einsum("ij,ij->i", G, D) - change) > bound


def _refine(net, path, goal, logit, n_steps, per_pass):
    """Gradients of the rows of ``path`` on 2, 4, ... :data:`MAX_PANELS`
    panels of ``n_steps`` nodes each, until they meet the goal; only the rows
    that still miss pay for more panels. Also returns how many miss on all."""
    Z_base, Z_change, (index, sign) = path
    G = np.empty((index.size, net.Ws[0].shape[0]), dtype=Z_base.dtype)
    left, panels = np.arange(index.size), 1
    while left.size and panels < MAX_PANELS:
        panels *= 2
        rule = gauss_legendre(n_steps, panels, Z_base.dtype.str)
        pair = [(index[left], sign[left])]
        G[left] = path_average(net, Z_base[left], Z_change[left], pair, logit, rule, per_pass)[0]
        left = left[_misses(G[left], [g[left] for g in goal])]
    return G, left.size


def warn_missed(missed, rule):
    """Warn that ``missed`` rows miss ``completeness_tol`` after refinement."""
    if missed:
        warnings.warn(
            f"Integrated gradients of {missed} rows miss completeness_tol={rule[1]:g} even "
            f"on {MAX_PANELS} panels of n_steps={rule[0]} points (the network is not "
            "piecewise linear); raise n_steps, and read the error per row with "
            "return_completeness=True.",
            UserWarning,
            stacklevel=5,  # the caller of attributions, past validate_params
        )
