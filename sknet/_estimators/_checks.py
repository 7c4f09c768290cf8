"""Checks of the glue: parameters, input precision, weights, divergence remedies."""

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils import assert_all_finite
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import validate_data

from ..nn.activations import ACTIVATIONS


def prediction_input(estimator, X):
    """X validated for prediction: ``validate_data``, then :func:`check_finite`.

    The dtype is kept (the model casts to its own); as in scikit-learn's
    ``predict``, strings are refused even where ``fit`` converted them.

    When validation fails, scikit-learn's own pass runs again, so the error
    is the one scikit-learn reports first (NaN before a wrong number of
    features).
    """
    # dtype "numeric", as scikit-learn's predict: strings are refused (fit converts them)
    params = dict(accept_sparse=["csr", "csc"], dtype="numeric", reset=False)
    try:
        X = validate_data(estimator, X, ensure_all_finite=False, **params)
    except ValueError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the first pass has warned already
            validate_data(estimator, X, **params)
        raise
    check_finite(X, estimator)
    return X


def check_finite(X, estimator):
    """scikit-learn's refusal of NaN and infinity in ``X``, in one fast pass.

    scikit-learn first sums ``X`` and looks entry by entry only when the sum
    is not finite; a float32 sum is a slow pairwise reduction (on 10,000 x 50
    rows, a tenth of ``predict``). Here ``np.isfinite`` tests blocks of rows
    small enough to stay in cache, and a block that fails is handed to
    scikit-learn's ``assert_all_finite``, so the error and its message are
    scikit-learn's. Honours ``sklearn.set_config(assume_finite=True)``.
    """
    data = X.data if sp.issparse(X) else X
    if get_config()["assume_finite"] or data.dtype.kind != "f":
        return
    step = max(1, _FINITE_BLOCK // max(data[:1].size, 1))
    for start in range(0, data.shape[0], step):
        if not np.isfinite(data[start : start + step]).all():
            assert_all_finite(X, estimator_name=type(estimator).__name__, input_name="X")


_FINITE_BLOCK = 1 << 18
"""Entries ``check_finite`` tests at once (256 KiB of booleans). Each block
costs a few NumPy calls: on 10,000 x 50 rows, blocks of 2**15 entries took
56 µs (float32) and 83 µs (float64), blocks of 2**18 37 and 63, one pass over
the whole array 34 and 60 (with a temporary as large as X)."""


def hidden_sizes(hidden_layer_sizes, owner):
    """The hidden sizes as a list of ints; refuses what is not positive integers."""
    sizes = hidden_layer_sizes
    sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
    if not all(isinstance(s, Integral) for s in sizes):
        raise InvalidParameterError(
            f"The 'hidden_layer_sizes' parameter of {owner} must be a sequence of "
            f"positive integers or a positive int. Got {hidden_layer_sizes!r} instead."
        )
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


def hidden_activations(activation, owner):
    """``activation`` as the core takes it: one name, or a tuple of names.

    A sequence's names are checked here, so an unknown one is named in
    scikit-learn's error for parameters; its length is checked by the core
    against the hidden layers.
    """
    if isinstance(activation, str):
        return activation
    names = tuple(activation)
    if any(not isinstance(n, str) or n not in ACTIVATIONS for n in names):
        raise InvalidParameterError(
            f"The 'activation' parameter of {owner} must be a str among "
            f"{sorted(ACTIVATIONS)} or a tuple of them, one per hidden layer. "
            f"Got {activation!r} instead."
        )
    return names


def cast(X, dtype):
    """``X`` in the compute dtype; values beyond its range are an error, not inf."""
    if X.dtype == dtype:
        return X
    try:
        with np.errstate(over="raise"):
            return X.astype(dtype, copy=False)
    except FloatingPointError:
        raise ValueError(
            f"X has values beyond the range of {np.dtype(dtype)}, the precision this "
            f"model computes in (dtype={np.dtype(dtype).name!r}). Scale X, or use "
            "dtype='float64' (or None with float64 input)."
        ) from None


def split_weights(w, train_idx, val_idx, fraction):
    """Training and validation weights; each part needs a positive total."""
    if w is None:
        return None, None
    w_train, w_val = w[train_idx], w[val_idx]
    for part, weights in (("validation", w_val), ("training", w_train)):
        if not weights.sum() > 0:
            raise ValueError(
                f"The sample weights of the {part} part of the early-stopping split "
                f"(validation_fraction={fraction}) sum to zero. Give more samples a "
                "positive weight, change validation_fraction or random_state, or set "
                "early_stopping=False."
            )
    return w_train, w_val


_LARGE = 1e3
"""Inputs or targets above this magnitude are named in divergence remedies."""


def _max_abs(A):
    return float(abs(A).max()) if A.shape[0] else 0.0


def divergence_remedy(estimator, data):
    """What to change after a divergence, for the data and solver at hand."""
    remedies = []
    if estimator._y_numeric and _max_abs(data.Y) > _LARGE:
        remedies.append(
            "The targets are large: scale y, e.g. with "
            "TransformedTargetRegressor(regressor, transformer=StandardScaler())."
        )
    if _max_abs(data.X) > _LARGE or estimator.solver == "lbfgs":
        remedies.append("Scale the features, e.g. with StandardScaler in a Pipeline.")
    if estimator.solver != "lbfgs":
        remedies.append(f"Lower learning_rate_init (it is {estimator.learning_rate_init}).")
        if getattr(estimator, "max_grad_norm", None) is None:
            remedies.append("Or clip the gradient norm, e.g. max_grad_norm=1.0.")
    return " ".join(remedies)
