"""What runs on the workers: a partition in, scalars and parameter vectors out.

Each function here is a task on the partition where it lives. None returns
training rows: the results are sums of losses and gradients, a trained
parameter vector with its optimizer state, or validation counts, which the
client adds up (:func:`add`, :func:`combine_scores`). A partition with no
rows (or no weight) returns None, which the sums skip.
"""

import math
from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import _num_samples

from . import _bridge

# Rows per forward/backward pass in a full-partition sum: bounds the
# workspace (rows x widest layer) whatever the partition size.
CHUNK_ROWS = 16384


@dataclass
class Shard:
    """An encoded partition: training rows and, for early stopping, validation rows.

    Each is a tuple ``(X, Y, w)`` of the glue's encoded arrays (``w`` may be None).
    """

    train: tuple
    val: tuple = None


def shard(template, part, validation_fraction, seed):
    """Encode ``part = (X, y, sample_weight)`` and split off validation rows.

    ``ceil(validation_fraction * n)`` rows, drawn with ``seed``, go to the
    validation set (as ``train_test_split`` sizes a test set); order is kept.
    An empty partition gives None.
    """
    if _num_samples(part[0]) == 0:
        return None
    rows = _bridge.encode(template, *part)
    if not validation_fraction:
        return Shard(rows)
    n = rows[0].shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_val = math.ceil(validation_fraction * n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return Shard(_take(rows, train), _take(rows, val))


def _take(rows, index):
    return tuple(None if a is None else a[index] for a in rows)


def _weight(rows):
    X, _, w = rows
    return float(X.shape[0]) if w is None else float(w.sum())


def sums(template, rows, theta):
    """``(loss_sum, grad_sum, weight, n_rows)`` of the unpenalized objective.

    The core's ``loss_grad`` gives a weighted *mean* and its gradient; times
    the chunk's weight they become sums, which add up across chunks and
    partitions. The L2 penalty is applied once, on the client.
    """
    n = rows[0].shape[0]
    if n == 0:
        return None
    net = _bridge.network(template)
    ws = net.workspace(min(CHUNK_ROWS, n))
    loss, grad, total = 0.0, np.zeros(net.n_params), 0.0
    for start in range(0, n, CHUNK_ROWS):
        chunk = _take(rows, slice(start, start + CHUNK_ROWS))
        weight = _weight(chunk)
        if weight > 0:
            with np.errstate(over="ignore", invalid="ignore"):
                value = net.loss_grad(theta, chunk[0], chunk[1], chunk[2], 0.0, ws)
            loss += value * weight
            grad += ws.grad * np.float64(weight)
            total += weight
    return loss, grad, total, n


def full_sums(template, shard, theta):
    """:func:`sums` over a shard's training rows (one L-BFGS evaluation)."""
    return sums(template, shard.train, theta)


def permutation(shard, seed):
    """This epoch's order of the shard's training rows (kept on the worker)."""
    return np.random.default_rng(seed).permutation(shard.train[0].shape[0])


def step_sums(template, shard, order, start, stop, theta):
    """:func:`sums` over rows ``order[start:stop]`` of the shard: its share of a minibatch."""
    index = slice(start, stop) if order is None else order[start:stop]
    return sums(template, _take(shard.train, index), theta)


def local_round(template, shard, seed, alpha_share, theta, opt_state, lr, batch, epochs):
    """One federated-averaging round on a shard, returned pre-weighted.

    Trains a copy of ``theta`` for ``epochs`` local epochs with the
    estimator's solver (minibatches of ``min(batch, n)`` rows at rate ``lr``
    from ``opt_state``; or L-BFGS iterations, whose L2 penalty is this
    shard's ``alpha_share`` of the global one). Returns the parameters and
    optimizer state times the shard's weight, the last epoch's loss times its
    rows, the weight and the rows: sums the client divides.
    """
    rows = shard.train
    n, weight = rows[0].shape[0], _weight(rows)
    if n == 0 or weight == 0:
        return None
    net = _bridge.network(template)
    theta = theta.copy()
    if template.solver == "lbfgs":
        alpha = template.alpha * alpha_share
        loss = _bridge.lbfgs_locally(net, theta, rows, alpha, template, epochs)
        opt_state = {}
    else:
        rng = np.random.default_rng(seed)
        batch = min(batch, n)
        args = (template, batch, epochs, lr, opt_state, rng)
        opt_state, loss = _bridge.train_locally(net, theta, rows, *args)
    return {
        "theta": theta * weight,
        "state": {k: np.multiply(v, weight) for k, v in opt_state.items()},
        "loss": loss * n,
        "weight": weight,
        "rows": n,
    }


def score_sums(template, rows, theta):
    """Validation figures of ``theta`` on ``rows``, as mergeable sums.

    Classifiers: the weight of correct predictions (accuracy, subset accuracy
    for multilabel). Regressors: squared errors per output and the weighted
    mean and centred sum of squares of the targets (for R², merged with
    Chan's formula by :func:`combine_scores`). Both: the summed mean loss.
    """
    X, Y, w = rows
    if X.shape[0] == 0:
        return None
    net = _bridge.network(template)
    Ws, bs = net.unpack(theta)
    weight = _weight(rows)
    result = {"weight": weight, "loss": net.mean_loss(Ws, bs, X, Y, w) * weight}
    P = net.predict(Ws, bs, X)
    sw = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    if template.out_activation_ == "softmax":
        result["correct"] = float(sw @ (P.argmax(axis=1) == Y.argmax(axis=1)))
    elif hasattr(template, "classes_"):
        result["correct"] = float(sw @ ((P > 0.5) == (Y > 0.5)).all(axis=1))
    else:
        mean = sw @ Y / weight
        result["sse"] = sw @ (Y - P) ** 2
        result["mean"], result["m2"] = mean, sw @ (Y - mean) ** 2
    return result


def validation_sums(template, shard, theta):
    """:func:`score_sums` on a shard's validation rows (early stopping)."""
    return score_sums(template, shard.val, theta)


def combine_scores(*parts):
    """Merge :func:`score_sums` results (sums, and Chan's rule for ``m2``)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    merged = dict(parts[0])
    for part in parts[1:]:
        wa, wb = merged["weight"], part["weight"]
        if "mean" in part:
            delta = part["mean"] - merged["mean"]
            merged["m2"] = merged["m2"] + part["m2"] + delta**2 * wa * wb / (wa + wb)
            merged["mean"] = merged["mean"] + delta * wb / (wa + wb)
            merged["sse"] = merged["sse"] + part["sse"]
        if "correct" in part:
            merged["correct"] += part["correct"]
        merged["loss"] += part["loss"]
        merged["weight"] = wa + wb
    return merged


def add(*items):
    """Elementwise sum of results (numbers, arrays, tuples, dicts); None is skipped."""
    items = [item for item in items if item is not None]
    if not items:
        return None
    first = items[0]
    if isinstance(first, dict):
        return {key: add(*(item[key] for item in items)) for key in first}
    if isinstance(first, tuple):
        return tuple(add(*parts) for parts in zip(*items))
    total = first
    for item in items[1:]:
        total = total + item
    return total
