"""attributions: how much each input feature moved one output of a fitted network."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.pipeline import Pipeline
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from ._chain import affine_map
from ._network import forward, input_gradient, output_value_and_grad, read_network
from ._paths import integrated, warn_missed
from ._targets import Targets

METHODS = ("gradient", "gradient_x_input", "integrated_gradients")

_MAX_ELEMENTS = 2**22
"""Work per pass: rows x (input + hidden + output widths), about 32 MiB in float64."""


@validate_params(
    {
        "model": "no_validation",
        "X": ["array-like", "sparse matrix"],
        "method": [StrOptions(set(METHODS))],
        "target": "no_validation",
        "output": [StrOptions({"auto", "logit"})],
        "baseline": [None, StrOptions({"mean"}), "array-like"],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "completeness_tol": [Interval(Real, 0, None, closed="neither"), None],
        "space": [StrOptions({"input", "network"})],
        "return_completeness": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def attributions(
    model,
    X,
    *,
    method="integrated_gradients",
    target=None,
    output="auto",
    baseline=None,
    n_steps=50,
    completeness_tol=0.01,
    space="input",
    return_completeness=False,
):
    """Attribute each prediction of a fitted network to its input features.

    Gradients come from the network's own backward pass: one extra matrix
    product per layer. Read more in the :doc:`User Guide </user_guide/inspection>`.

    Parameters
    ----------
    model : estimator
        A fitted :class:`~sknet.MLPClassifier` or :class:`~sknet.MLPRegressor`
        (scikit-learn's MLPs work too), a fitted
        :class:`~sklearn.pipeline.Pipeline` ending in one, or a fitted search
        (its ``best_estimator_`` is used).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows to explain, as passed to ``model.predict``.
    method : {"integrated_gradients", "gradient_x_input", "gradient"}, \
default="integrated_gradients"
        ``"gradient"``: the gradient of the explained output at ``x``
        (saliency; the baseline is not used). ``"gradient_x_input"``:
        ``(x - baseline) * gradient``. ``"integrated_gradients"``
        (Sundararajan et al., 2017): ``(x - baseline)`` times the gradient
        averaged along the straight path from the baseline to ``x``. Each
        row's attributions sum to ``f(x) - f(baseline)`` ("completeness")
        within ``completeness_tol``.
    target : label, int, array-like of shape (n_samples,) or None, default=None
        What is explained. Classifiers: the class (a label of ``classes_``,
        or one per row) whose probability is explained; None explains the
        predicted class. Multilabel classifiers and regressors: the output
        index (or one per row); None explains every output, along an extra
        last axis (a single-output regressor has none).
    output : {"auto", "logit"}, default="auto"
        ``"auto"`` explains what ``predict_proba`` (classifiers) or
        ``predict`` (regressors) returns. ``"logit"`` explains the output
        layer's pre-activation: the pre-softmax score, the log-odds of the
        class for binary and multilabel outputs, the log of the Poisson
        mean.
    baseline : {None, "mean"} or array-like of shape (n_features,) or \
(n_samples, n_features), default=None
        The reference input. None: the input that the preprocessing maps to
        the network's zero input, when one exists (the training mean after a
        StandardScaler), else the zero vector. ``"mean"``: the mean of the
        rows of ``X``. An array is given like ``X`` and goes through the
        preprocessing like ``X``.
    n_steps : int, default=50
        Points of the Gauss-Legendre rule that ``"integrated_gradients"``
        applies to every row first (exact to rounding for smooth networks).
    completeness_tol : float or None, default=0.01
        Rows whose attributions miss ``f(x) - f(baseline)`` by more than
        this, relative to ``|f(x) - f(baseline)|`` (and by more than the
        rounding of the outputs, 4 float eps of ``|f(x)| + |f(baseline)|``),
        are recomputed. Networks whose hidden activations are all piecewise
        linear (relu, leaky_relu, identity) integrate those rows exactly, on
        the segments of the path where every unit keeps one linear piece, so
        every row meets it. Other networks (elu, or relu after a smooth
        layer) recompute them on 2, 4, ... 64 panels of ``n_steps`` points
        each, and warn about rows that still miss. None applies the plain
        ``n_steps``-point rule to every row.
    space : {"input", "network"}, default="input"
        ``"input"``: attributions per column of ``X``, carried back through
        the Pipeline's affine steps (StandardScaler, MinMaxScaler,
        MaxAbsScaler, RobustScaler, PCA, and ColumnTransformers of them) by
        the chain rule; any other step raises a ValueError naming it.
        ``"network"``: attributions per input feature of the network (the
        output of the preprocessing, named by ``get_feature_names_out``), for
        any preprocessing.
    return_completeness : bool, default=False
        Also return, per row, ``|sum of attributions - (f(x) - f(baseline))|
        / |f(x) - f(baseline)|``. Not defined for ``method="gradient"``.

    Returns
    -------
    attributions : ndarray of shape (n_samples, n_features) or \
(n_samples, n_features, n_outputs)
        In the network's dtype (float32 models attribute in float32). The
        last axis exists only when ``target=None`` explains every output of
        a multilabel classifier or a multi-output regressor.
    completeness_error : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Only with ``return_completeness=True``.

    See Also
    --------
    AttributionDisplay : Plot the attributions of a model on rows.
    sklearn.inspection.permutation_importance : A global, model-agnostic
        importance per feature.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknet import MLPRegressor
    >>> from sknet.inspection import attributions
    >>> X, y = load_diabetes(return_X_y=True)
    >>> network = MLPRegressor(activation="tanh", max_iter=50, random_state=0)
    >>> model = make_pipeline(StandardScaler(), network).fit(X, y / 100)
    >>> A, error = attributions(model, X[:5], return_completeness=True)
    >>> A.shape
    (5, 10)
    >>> bool(error.max() < 0.01)
    True
    """
    if return_completeness and method == "gradient":
        raise ValueError(
            "return_completeness needs method='integrated_gradients' or "
            "'gradient_x_input': plain gradients do not sum to f(x) - f(baseline)."
        )
    pre, estimator = split_model(model)
    net = read_network(estimator)
    X_net = _network_input(pre, estimator, X, net.dtype)
    chain = affine_map(pre, pre.n_features_in_) if pre is not None and space == "input" else None
    if chain is None:
        X_in = X_net
    else:
        X_in = check_array(X, dtype=(np.float64, np.float32)).astype(net.dtype, copy=False)
    B_in, B_net = _baselines(baseline, X_in, X_net, pre, estimator, chain)
    targets = Targets.of(estimator, net, target, X_net.shape[0])

    rule = (n_steps, completeness_tol)
    G, changes = _network_gradients(
        net, X_net, B_net, targets, method, output, rule, return_completeness
    )
    if chain is not None:
        G = chain.M.astype(net.dtype) @ G  # the chain rule: grad_x = M @ grad_net
    A = G if method == "gradient" else G * (X_in - B_in)[:, :, None]
    if not targets.extra_axis:
        A, changes = A[:, :, 0], changes[:, 0]
    if not return_completeness:
        return A
    gap = np.abs(A.sum(axis=1) - changes)
    return A, gap / np.maximum(np.abs(changes), np.finfo(A.dtype).tiny)


def split_model(model):
    """``(preprocessing or None, network)`` of a fitted network or Pipeline."""
    while hasattr(model, "best_estimator_"):
        model = model.best_estimator_
    pre = None
    if isinstance(model, Pipeline):
        pre = model[:-1] if len(model.steps) > 1 else None
        model = model.steps[-1][1]
    if not hasattr(model, "activation"):
        raise ValueError(
            "attributions needs an MLPClassifier or MLPRegressor, or a Pipeline "
            f"ending in one; got {type(model).__name__}."
        )
    check_is_fitted(model, ["coefs_", "out_activation_"])
    return pre, model


def feature_names(model, space="input"):
    """Names of the features that attributions are given for."""
    pre, estimator = split_model(model)
    first = estimator if pre is None else pre
    if space == "network" and pre is not None:
        try:
            return np.asarray(pre.get_feature_names_out(), dtype=object)
        except (AttributeError, ValueError, TypeError):
            first = estimator
    names = getattr(first, "feature_names_in_", None)
    if names is None:
        names = [f"x{i}" for i in range(first.n_features_in_)]
    return np.asarray(names, dtype=object)


def _network_input(pre, estimator, X, dtype):
    """``X`` as the network sees it: preprocessed, validated, dense, in its dtype."""
    Xt = X if pre is None else pre.transform(X)
    Xt = validate_data(
        estimator, Xt, reset=False, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32)
    )
    if sp.issparse(Xt):
        Xt = Xt.toarray()
    return Xt.astype(dtype, copy=False)


def _baselines(baseline, X_in, X_net, pre, estimator, chain):
    """The baseline as rows in the explained space and in the network's input space."""
    dtype = X_net.dtype
    if baseline is None:
        if chain is None:
            B_in = np.zeros((1, X_in.shape[1]), dtype)
        else:
            zero = chain.zero if chain.zero is not None else np.zeros(X_in.shape[1])
            B_in = zero[None, :]
    elif isinstance(baseline, str):  # "mean"
        B_in = X_in.mean(axis=0, keepdims=True)
    elif chain is None and pre is not None:  # the preprocessing takes it like X
        if getattr(baseline, "ndim", np.ndim(baseline)) == 1:
            baseline = np.reshape(baseline, (1, -1))
        B_in = _network_input(pre, estimator, baseline, dtype)
    else:
        B_in = check_array(np.atleast_2d(baseline), dtype=(np.float64, np.float32))
    if B_in.shape[0] not in (1, X_in.shape[0]) or B_in.shape[1] != X_in.shape[1]:
        raise ValueError(
            f"baseline has shape {B_in.shape}; it must have shape ({X_in.shape[1]},) or "
            f"({X_in.shape[0]}, {X_in.shape[1]}) like X."
        )
    B_net = B_in if chain is None else chain(B_in)
    return B_in.astype(dtype, copy=False), B_net.astype(dtype, copy=False)


def _network_gradients(net, X, B, targets, method, output, rule, completeness):
    """Per row and explained output: gradients in the network's input space.

    At ``X`` for the gradient methods; for integrated gradients, averaged
    along the path from ``B`` to ``X`` by :func:`._paths.integrated` with
    ``rule = (n_steps, completeness_tol)``. With ``completeness``, also
    ``f(x) - f(baseline)`` (else NaN).
    Rows go in chunks of bounded size (and steps too, when one row's steps
    exceed the budget).
    """
    n, d = X.shape
    logit = output == "logit"
    n_targets = 1 if targets.pairs is None else len(targets.pairs)
    G = np.empty((n, d, n_targets), dtype=net.dtype)
    changes = np.full((n, n_targets), np.nan, dtype=net.dtype)
    per_pass = max(1, _MAX_ELEMENTS // (d + 2 * sum(W.shape[1] for W in net.Ws) + d))
    path = method == "integrated_gradients"
    chunk = max(1, per_pass // rule[0]) if path else per_pass
    missed = 0
    for start in range(0, n, chunk):
        rows = slice(start, min(start + chunk, n))
        Xc, Bc = X[rows], np.broadcast_to(B if len(B) == 1 else B[rows], X[rows].shape)
        Z, cache = forward(net, Xc)
        pairs = targets.at(net, Z, rows)
        values = [output_value_and_grad(net, Z, index, sign, logit) for index, sign in pairs]
        if completeness or path:
            Z_base = forward(net, Bc)[0]
            f_base = [output_value_and_grad(net, Z_base, i, s, logit)[0] for i, s in pairs]
            ends = [(f_x, f_b) for (f_x, _), f_b in zip(values, f_base)]
        if path:
            grads, left = integrated(net, Xc, Bc, pairs, logit, rule, ends, per_pass)
            missed += left
        for t, (f_x, dZ) in enumerate(values):
            G[rows, :, t] = grads[t] if path else input_gradient(net, cache, dZ)
            if completeness:
                changes[rows, t] = f_x - f_base[t]
    warn_missed(missed, rule)
    return G, changes
