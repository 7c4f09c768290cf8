"""Checks of the glue: parameters, input precision, weights, divergence remedies."""


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
