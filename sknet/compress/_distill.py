"""Knowledge distillation: a small network trained on another model's outputs."""

from numbers import Real

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils.validation import check_is_fitted

from .._estimators import MLPClassifier, MLPRegressor
from ._network import final_network


@validate_params(
    {
        "teacher": [HasMethods(["predict"])],
        "X": ["array-like", "sparse matrix"],
        "student": [HasMethods(["fit"])],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def distill(teacher, X, *, student, temperature=1.0, sample_weight=None):
    """Train a (small) sknet network to reproduce a fitted model's outputs on X.

    For a classifier teacher the student learns the teacher's class
    probabilities (soft targets) with the log-loss, whose value on a
    probability row is the cross-entropy; for a regressor teacher it learns
    the teacher's predictions. No labels are needed, so any rows that look
    like the deployment data serve as ``X``, unlabelled ones included, and
    more rows give a closer copy. The teacher can be any fitted
    scikit-learn classifier with ``predict_proba`` or regressor (a
    gradient-boosting model, a forest, a large network, a Pipeline).

    Parameters
    ----------
    teacher : estimator
        A fitted classifier with ``predict_proba`` (single-output), or a
        fitted regressor.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows the teacher labels for the student (the transfer set).
    student : MLPClassifier, MLPRegressor or Pipeline
        An sknet network, or a Pipeline ending in one (e.g. a scaler and a
        network), of the teacher's kind. It is cloned, never modified.
    temperature : float, default=1.0
        Hinton et al. (2015): the teacher's probabilities ``p`` become
        ``p ** (1 / T)``, renormalized, which lifts the small probabilities
        (what the teacher knows about similar classes) for ``T > 1``. The
        student's output layer is then multiplied by ``T``, so it predicts
        the teacher's probabilities at temperature 1. Classifiers only;
        ignored for regressors.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows of ``X`` in the network's loss (steps before the
        network in a Pipeline student are fitted unweighted).

    Returns
    -------
    student : estimator
        A fitted clone of ``student``. A classifier's ``classes_`` are the
        teacher's, even for a class that no row of ``X`` favours.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sknet import MLPClassifier
    >>> from sknet.compress import distill
    >>> X, y = load_iris(return_X_y=True)
    >>> forest = RandomForestClassifier(random_state=0).fit(X, y)
    >>> small = distill(forest, X, student=MLPClassifier((8,), solver="lbfgs", random_state=0))
    >>> small.classes_
    array([0, 1, 2])
    >>> bool((small.predict(X) == forest.predict(X)).mean() > 0.95)
    True
    """
    check_is_fitted(teacher)
    student = clone(student)
    network, Xt = final_network(student, X, fit=True)
    if is_classifier(teacher):
        proba, classes = _teacher_proba(teacher, X)
        _check_kind(network, MLPClassifier, teacher, "classifier")
        network._fit_proba(Xt, soften(proba, temperature), classes, sample_weight)
        network.coefs_[-1] *= network.coefs_[-1].dtype.type(temperature)
        network.intercepts_[-1] *= network.intercepts_[-1].dtype.type(temperature)
    elif is_regressor(teacher):
        _check_kind(network, MLPRegressor, teacher, "regressor")
        network.fit(Xt, teacher.predict(X), sample_weight=sample_weight)
    else:
        raise TypeError(
            f"The teacher must be a classifier or a regressor; {type(teacher).__name__} is neither."
        )
    return student


def soften(proba, temperature):
    """Class probabilities at a temperature: ``proba ** (1 / T)``, rows renormalized."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), 0, None)
    if temperature != 1:
        with np.errstate(divide="ignore"):
            logits = np.log(proba) / temperature
        proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    return proba / proba.sum(axis=1, keepdims=True)


def _teacher_proba(teacher, X):
    if not hasattr(teacher, "predict_proba"):
        raise AttributeError(
            f"The teacher {type(teacher).__name__} has no predict_proba; distillation learns "
            "a classifier's probabilities. Use a probabilistic classifier (e.g. "
            "SVC(probability=True)) or wrap it in CalibratedClassifierCV."
        )
    proba, classes = teacher.predict_proba(X), np.asarray(teacher.classes_)
    if not isinstance(proba, np.ndarray) or classes.ndim != 1 or proba.shape[1] != len(classes):
        raise ValueError(
            "distill supports single-output classifiers; the teacher's predict_proba does not "
            "return one column per class of classes_ (multi-output or multilabel teacher?)."
        )
    return proba, classes


def _check_kind(network, kind, teacher, what):
    if not isinstance(network, kind):
        raise TypeError(
            f"The teacher {type(teacher).__name__} is a {what}, so the student must be "
            f"a sknet {kind.__name__} (or a Pipeline ending in one); got {type(network).__name__}."
        )
