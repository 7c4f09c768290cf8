"""Small questions about estimators that the glue, the ONNX layer and the Display share."""

from sklearn.pipeline import Pipeline


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
