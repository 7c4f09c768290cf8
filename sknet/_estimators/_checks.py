"""Checks of the glue: parameters, input precision, weights, divergence remedies."""

import numpy as np


def cast(X, dtype):
    """``X`` in the compute dtype; values beyond its range are an error, not inf."""
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
