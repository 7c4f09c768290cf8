"""Small questions about estimators that the glue, the ONNX layer and the Display share."""

from functools import lru_cache

from sklearn.pipeline import Pipeline

from ..nn import MLP
from ..nn.losses import LOSSES


def final_estimator(model):
    """The estimator whose outputs are the model's.

    A fitted search gives its ``best_estimator_``, a Pipeline its last step,
    until neither is left; anything else is returned as it is.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknet import MLPClassifier
    >>> final_estimator(make_pipeline(StandardScaler(), MLPClassifier()))
    MLPClassifier()
    """
    while True:
        if hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        elif isinstance(model, Pipeline):
            model = model.steps[-1][1]
        else:
            return model


def scoring_name(estimator):
    """The name of the early-stopping score, as ``verbose`` prints it.

    ``scoring`` when it is a string, a callable's ``__name__``, else
    ``"score"``: the estimator's own ``score`` (accuracy for a classifier,
    R² for a regressor), the number ``validation_scores_`` holds.

    Examples
    --------
    >>> from sknet import MLPClassifier
    >>> scoring_name(MLPClassifier()), scoring_name(MLPClassifier(scoring="f1_macro"))
    ('score', 'f1_macro')
    """
    scoring = getattr(estimator, "scoring", None)
    if scoring is None:
        return "score"
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")


CANONICAL_LOSSES = {loss.out_activation: loss for loss in LOSSES.values() if loss.gradient is None}
"""Each output activation's likelihood loss, whose canonical link it inverts.

Derived from ``nn.losses.LOSSES``: the losses without a gradient of their
own are the canonical pairs, whose output delta is ``f(Z) - Y``.
"""


def canonical_loss(out_activation):
    """The likelihood loss whose canonical link ``out_activation`` inverts.

    The classifier trains with it (log-loss for softmax, binary log-loss for
    logistic) and every fitted network predicts with it, since prediction
    reads only the output activation.
    """
    return CANONICAL_LOSSES[out_activation]


@lru_cache(maxsize=32)
def fitted_network(sizes, activation, out_activation, dtype):
    """The structure of a fitted network (``nn.MLP``), built once per kind.

    Prediction reads the network from the fitted attributes; building it on
    every call was a tenth of a one-row ``predict_proba``. ``activation`` is
    a name or a tuple of names, ``dtype`` a dtype string: the cache's key.
    """
    return MLP(sizes, activation, canonical_loss(out_activation), dtype)


def store_parameters(estimator, params):
    """Set every ``__init__`` argument in ``params`` (``locals()``) as an
    attribute of the same name, unchanged: scikit-learn's convention."""
    for name, value in params.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
