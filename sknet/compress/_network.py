"""What prune and distill share: the network inside a model, read by layer."""

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from .._estimators import MLPClassifier, MLPRegressor
from ..nn import activations

NETWORKS = (MLPClassifier, MLPRegressor)


def final_network(model, X, fit=False):
    """The sknet network that ends ``model``, and ``X`` as it reaches it.

    ``model`` is a network or a Pipeline (possibly nested) whose last step is
    one; ``X`` goes through the steps before it, which are fitted on ``X``
    first when ``fit`` is true. The steps are changed in place: callers pass
    a copy or a clone, never the user's object.
    """
    while isinstance(model, Pipeline):
        if len(model) > 1:
            head = model[:-1]
            X = head.fit_transform(X) if fit else head.transform(X)
        model = model.steps[-1][1]
    if not isinstance(model, NETWORKS):
        raise TypeError(
            f"Expected a sknet MLPClassifier or MLPRegressor, or a Pipeline ending in one; "
            f"got {type(model).__name__}."
        )
    return model, X


def activation(network, layer):
    """The hidden activation of hidden layer ``layer`` (0 is the first)."""
    name = network.activation
    return activations.get(name if isinstance(name, str) else name[layer])


def network_input(network, X):
    """``X`` validated for the fitted ``network`` and cast to its dtype."""
    check_is_fitted(network)
    X = validate_data(
        network, X, accept_sparse=["csr", "csc"], reset=False, dtype=(np.float64, np.float32)
    )
    return X.astype(network.coefs_[0].dtype, copy=False)


def hidden_means(network, X, sample_weight=None, chunk_size=4096):
    """Weighted means of each hidden unit's activation and of its absolute value.

    Returns two lists with one array per hidden layer, computed on the rows
    of ``X`` in chunks, so memory stays bounded by ``chunk_size`` rows.
    """
    n = X.shape[0]
    w = np.ones(n, X.dtype) if sample_weight is None else np.asarray(sample_weight, X.dtype)
    hidden = range(len(network.coefs_) - 1)
    means = [np.zeros(network.coefs_[i].shape[1], X.dtype) for i in hidden]
    abs_means = [m.copy() for m in means]
    for start in range(0, n, chunk_size):
        A, w_rows = X[start : start + chunk_size], w[start : start + chunk_size]
        for i in hidden:
            A = activation(network, i).forward(
                np.asarray(A @ network.coefs_[i]) + network.intercepts_[i]
            )
            means[i] += w_rows @ A
            abs_means[i] += w_rows @ np.abs(A)
    total = w.sum()
    return [m / total for m in means], [m / total for m in abs_means]
