"""Structured pruning: remove whole hidden units, then fine-tune."""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight

from ._network import final_network, hidden_means, network_input

CRITERIA = ("activation", "magnitude")


@validate_params(
    {
        "estimator": "no_validation",
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "amount": [Interval(Real, 0, 1, closed="left"), tuple, list],
        "criterion": [StrOptions(set(CRITERIA))],
        "fine_tune_iter": [Interval(Integral, 0, None, closed="left")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def prune(
    estimator, X, y, *, amount=0.5, criterion="activation", fine_tune_iter=10, sample_weight=None
):
    """Remove the least important hidden units of a fitted network, then fine-tune it.

    Structured pruning: whole units go, so ``hidden_layer_sizes``,
    ``coefs_`` and ``intercepts_`` shrink together and the result is an
    ordinary, smaller fitted estimator (smaller ONNX files, proportionally
    less work per row). The input estimator is never modified.

    Each removed unit is replaced by its mean activation on ``X``, folded
    into the next layer's bias, so what remains starts as close to the
    original as the criterion allows. The pruned network is then trained
    for ``fine_tune_iter`` epochs from its pruned weights with the
    estimator's own solver and parameters (a fresh optimizer state, as the
    parameter shapes changed).

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or Pipeline
        A fitted sknet network, or a fitted Pipeline ending in one: its last
        step is pruned and the steps before it are kept.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data to rank the units on and to fine-tune with (the training data,
        or a representative part of it).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
        Targets for fine-tuning; None only with ``fine_tune_iter=0``.
    amount : float in [0, 1) or tuple of floats, default=0.5
        Fraction of the units removed from each hidden layer (rounded down;
        at least one unit stays), or one fraction per hidden layer.
    criterion : {"activation", "magnitude"}, default="activation"
        Importance of a unit. "magnitude": the norm of its outgoing weights.
        "activation": its mean absolute activation on ``X`` times that norm,
        a cheap first-order estimate of what removing it changes.
    fine_tune_iter : int, default=10
        Epochs of fine-tuning (iterations for ``solver="lbfgs"``, as
        ``max_iter``); 0 returns the pruned weights as they are.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows of ``X``, for the ranking and the fine-tuning.

    Returns
    -------
    pruned : estimator
        A new fitted estimator of the same class (a Pipeline for a
        Pipeline). After fine-tuning, ``loss_curve_``, ``n_iter_`` and
        ``t_`` describe the fine-tuning run; with ``fine_tune_iter=0`` they
        are the original's.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.compress import prune
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> clf = MLPClassifier((64,), max_iter=30, random_state=0).fit(X, y)
    >>> small = prune(clf, X, y, amount=0.75, fine_tune_iter=10)
    >>> small.hidden_layer_sizes, small.coefs_[0].shape, clf.coefs_[0].shape
    ((16,), (64, 16), (64, 64))
    >>> bool(small.score(X, y) > 0.9)
    True
    """
    if y is None and fine_tune_iter:
        raise ValueError("prune needs y to fine-tune; pass y, or fine_tune_iter=0.")
    model = copy.deepcopy(estimator)
    network, Xt = final_network(model, X)
    A = network_input(network, Xt)
    w = None if sample_weight is None else _check_sample_weight(sample_weight, A, dtype=A.dtype)
    fractions = _fractions(amount, len(network.coefs_) - 1)
    means, abs_means = hidden_means(network, A, w)
    importance = _importance(network, abs_means, criterion)
    keep = [_most_important(score, f) for score, f in zip(importance, fractions)]
    _remove_units(network, keep, means)
    if fine_tune_iter:
        _fine_tune(network, Xt, y, sample_weight, fine_tune_iter)
    return model


def _fractions(amount, n_hidden):
    """One fraction per hidden layer, checked."""
    if n_hidden == 0:
        raise ValueError(
            "The network has no hidden layer (hidden_layer_sizes=()); nothing to prune."
        )
    if isinstance(amount, Real):
        return [float(amount)] * n_hidden
    if len(amount) != n_hidden or not all(isinstance(a, Real) and 0 <= a < 1 for a in amount):
        raise ValueError(
            f"amount must be a fraction in [0, 1) or a tuple of {n_hidden} such fractions, "
            f"one per hidden layer; got {amount!r}."
        )
    return [float(a) for a in amount]


def _importance(network, abs_means, criterion):
    """A score per unit of each hidden layer; higher means more important."""
    norms = [np.linalg.norm(W, axis=1) for W in network.coefs_[1:]]
    if criterion == "magnitude":
        return norms
    return [m * n for m, n in zip(abs_means, norms)]


def _most_important(score, fraction):
    """Sorted indices of the units to keep: all but floor(fraction * n) least important."""
    n = len(score)
    n_keep = max(1, n - int(fraction * n + 1e-9))
    return np.sort(np.argsort(-score, kind="stable")[:n_keep])


def _remove_units(network, keep, means):
    """Shrink the fitted attributes to the kept units, in place.

    A removed unit's mean activation times its outgoing weights moves into
    the next layer's bias: a constant stands in for it.
    """
    Ws, bs = list(network.coefs_), list(network.intercepts_)
    for i, kept in enumerate(keep):
        removed = np.setdiff1d(np.arange(Ws[i].shape[1]), kept)
        bs[i + 1] = bs[i + 1] + means[i][removed] @ Ws[i + 1][removed]
        Ws[i], bs[i] = Ws[i][:, kept], bs[i][kept]
        Ws[i + 1] = Ws[i + 1][kept]
    network.coefs_ = [np.ascontiguousarray(W) for W in Ws]
    network.intercepts_ = bs
    network.hidden_layer_sizes = tuple(len(k) for k in keep)
    # The optimizer state (Adam's moments, SGD's velocity) has the old shapes.
    network.__dict__.pop("_state", None)


def _fine_tune(network, X, y, sample_weight, epochs):
    """Continue training from the pruned weights with the network's own solver."""
    saved = network.get_params()
    network.set_params(warm_start=True, max_iter=epochs)
    try:
        with warnings.catch_warnings():
            # A fixed number of epochs is asked for; not converging is expected.
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(X, y, sample_weight=sample_weight)
    finally:
        network.set_params(warm_start=saved["warm_start"], max_iter=saved["max_iter"])
