"""Models, explained outputs and finite differences shared by the inspection tests."""

import functools
import warnings

import numpy as np

from sknet import MLPClassifier, MLPRegressor
from sknet.nn.activations import ACTIVATIONS as CORE_ACTIVATIONS

ACTIVATIONS = sorted(CORE_ACTIVATIONS)  # every hidden activation of the core

RNG = np.random.RandomState(0)
X = RNG.randn(40, 4)
TARGETS = {
    "binary": np.array(["no", "yes"])[RNG.randint(0, 2, 40)],
    "multiclass": np.array(["cat", "dog", "emu"])[RNG.randint(0, 3, 40)],
    "multilabel": RNG.randint(0, 2, (40, 3)),
    "regression": X @ RNG.randn(4),
    "regression-2": X @ RNG.randn(4, 2),
    "poisson": RNG.poisson(np.exp(X[:, 0] / 2)),
}
TASKS = list(TARGETS)


@functools.cache
def network(task, activation="tanh", hidden=(5, 4), dtype=np.float64, seed=0):
    """A network for ``task`` with random weights of unit scale; cached.

    A short fit sets the fitted attributes, then the weights are redrawn so
    that every unit works in the nonlinear range of its activation.
    """
    params = dict(hidden_layer_sizes=hidden, activation=activation, max_iter=1, random_state=0)
    if task.startswith(("regression", "poisson")):
        model = MLPRegressor(loss="poisson" if task == "poisson" else "squared_error", **params)
    else:
        model = MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.astype(dtype), TARGETS[task])
    rng = np.random.RandomState(seed)
    model.coefs_ = [rng.randn(*W.shape).astype(dtype) for W in model.coefs_]
    model.intercepts_ = [0.5 * rng.randn(*b.shape).astype(dtype) for b in model.intercepts_]
    return model


def outputs(model, X, logit=False):
    """Every output a target can select, one column per class or output index.

    Read from the estimator's own prediction code, never from sknet.inspection:
    ``predict_proba`` / ``predict``, or the output layer's pre-activation
    (with a binary classifier's two columns ``-z`` and ``z``, the log-odds of
    each class).
    """
    network = model[-1] if hasattr(model, "steps") else model
    if logit:
        Xt = model[:-1].transform(X) if hasattr(model, "steps") else X
        Z = network._predict_outputs(Xt, logits=True)
        binary = hasattr(network, "classes_") and Z.shape[1] == 1 and len(network.classes_) == 2
        return np.hstack([-Z, Z]) if binary else Z
    if hasattr(network, "classes_"):
        return model.predict_proba(X)
    return model.predict(X).reshape(len(X), -1)


def numeric_gradient(f, X, h=1e-6):
    """Central differences of ``f`` (rows -> (rows, k)) at each row: (n, d, k).

    ``h`` is one step for every feature, or one per feature.
    """
    n, d = X.shape
    h = np.broadcast_to(np.asarray(h, dtype=float), (d,))
    steps = (np.eye(d) * h)[:, None, :]  # (d, 1, d): feature j moved by h[j]
    points = np.concatenate([(X + steps).reshape(-1, d), (X - steps).reshape(-1, d)])
    values = np.asarray(f(points))
    up, down = values[: n * d].reshape(d, n, -1), values[n * d :].reshape(d, n, -1)
    return np.transpose((up - down) / (2 * h[:, None, None]), (1, 0, 2))


def explained_columns(model, task, target):
    """The column of :func:`outputs` that each row's ``target`` selects."""
    network = model[-1] if hasattr(model, "steps") else model
    if task in ("binary", "multiclass"):
        return np.searchsorted(network.classes_, target)
    return np.asarray(target)
