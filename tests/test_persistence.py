"""Persistence: a fitted estimator is plain state, so skops loads it safely.

``skops.io`` refuses to load any type it does not trust unless the caller
names it; a fitted sknet estimator must need nothing named but its own
class, and must continue training after loading exactly as it would have.
"""

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

TRUSTED = [f"{cls.__module__}.{cls.__qualname__}" for cls in (MLPClassifier, MLPRegressor)]
PLAIN = (type(None), bool, int, float, str, np.ndarray, np.generic)

CASES = {
    "sgd": (MLPClassifier, dict(solver="sgd")),
    "adam-float32": (MLPClassifier, dict(dtype="float32")),
    "lbfgs": (MLPClassifier, dict(solver="lbfgs")),
    "early-stopping": (MLPClassifier, dict(early_stopping=True, n_iter_no_change=2)),
    "regressor-adam": (MLPRegressor, dict()),
    "regressor-poisson-sgd": (MLPRegressor, dict(loss="poisson", solver="sgd")),
}


def _fitted(case, clf_data):
    Estimator, params = CASES[case]
    X, y = clf_data
    est = Estimator(hidden_layer_sizes=(8,), max_iter=6, random_state=0, **params)
    return est.fit(X, np.abs(y) if Estimator is MLPRegressor else y)


def _non_plain(value, where):
    """Where ``value`` holds something that is not plain data (or an estimator)."""
    if isinstance(value, (*PLAIN, BaseEstimator)):
        return []
    if isinstance(value, (list, tuple)):
        return [bad for i, v in enumerate(value) for bad in _non_plain(v, f"{where}[{i}]")]
    if isinstance(value, dict):
        return [bad for k, v in value.items() for bad in _non_plain(v, f"{where}[{k!r}]")]
    return [f"{where}: {type(value).__name__}"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_fitted_estimators_hold_plain_state_only(clf_data, case):
    est = _fitted(case, clf_data)
    fitted = {k: v for k, v in vars(est).items() if k not in est.get_params(deep=False)}
    assert _non_plain(fitted, "est") == []
    assert sio.get_untrusted_types(data=sio.dumps(est)) == [
        f"{type(est).__module__}.{type(est).__qualname__}"
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_skops_round_trip_predicts_and_trains_on_identically(clf_data, case):
    X, y = clf_data
    est = _fitted(case, clf_data)
    loaded = sio.loads(sio.dumps(est), trusted=TRUSTED)
    predict = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(loaded, predict)(X), getattr(est, predict)(X))
    for name in ("loss_curve_", "validation_scores_", "n_iter_", "t_", "best_loss_"):
        assert getattr(loaded, name) == getattr(est, name)
    if case == "early-stopping" or est.solver == "lbfgs":
        return  # partial_fit does not exist for lbfgs nor run with early stopping
    target = np.abs(y) if isinstance(est, MLPRegressor) else y
    for model in (est, loaded):
        model.partial_fit(X, target)
        model.set_params(warm_start=True, max_iter=2).fit(X, target)
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, est.coefs_ + est.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert loaded.loss_curve_ == est.loss_curve_


def test_a_pipeline_round_trips_with_only_sknets_classes_trusted(clf_data):
    X, y = clf_data
    pipe = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=5, random_state=0))
    data = sio.dumps(pipe.fit(X, y))
    assert sio.get_untrusted_types(data=data) == [TRUSTED[0]]
    loaded = sio.loads(data, trusted=TRUSTED)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
