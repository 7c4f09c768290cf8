"""Validation data the user chooses, for fit and partial_fit (issue 12, item 4)."""

import copy

import numpy as np
import pytest
import sklearn
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _split(X, y, n_val=50):
    return X[:-n_val], y[:-n_val], X[-n_val:], y[-n_val:]


def test_fit_scores_the_given_rows_and_keeps_the_best_weights(clf_data):
    X, y, X_val, y_val = _split(*clf_data)
    clf = MLPClassifier((8,), early_stopping=True, max_iter=30, random_state=0)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert clf.t_ == len(X) * clf.n_iter_  # every training row trains: no split
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.best_validation_score_
    split = MLPClassifier((8,), early_stopping=True, max_iter=30, random_state=0).fit(X, y)
    assert split.validation_scores_ != clf.validation_scores_


def test_validation_weights_weigh_the_score(reg_data):
    X, y, X_val, y_val = _split(*reg_data)
    w_val = np.r_[np.zeros(25), np.ones(25)]
    reg = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=10, random_state=0)
    reg.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    best = reg.best_validation_score_
    assert best == pytest.approx(r2_score(y_val[25:], reg.predict(X_val[25:])))


@pytest.mark.parametrize(
    ("given", "match"),
    [
        (dict(X_val=True), "X_val is provided, but y_val was not provided"),
        (dict(y_val=True), "y_val is provided, but X_val was not provided"),
        (dict(sample_weight_val=True), "sample_weight_val is provided, but X_val"),
        (dict(X_val=True, y_val=True, early_stopping=False), "set early_stopping=True"),
        (dict(X_val=True, y_val=True, solver="lbfgs"), "not with 'lbfgs'"),
    ],
)
def test_bad_validation_arguments_are_refused_and_leave_the_model(clf_data, given, match):
    X, y, X_val, y_val = _split(*clf_data)
    clf = MLPClassifier((4,), early_stopping=True, max_iter=3, random_state=0).fit(X, y)
    before = clf.coefs_[0].copy()
    clf.set_params(warm_start=True, **{k: v for k, v in given.items() if k not in _ARGS})
    values = {"X_val": X_val, "y_val": y_val, "sample_weight_val": np.ones(len(y_val))}
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, **{k: values[k] for k in given if k in _ARGS})
    np.testing.assert_array_equal(clf.coefs_[0], before)


_ARGS = ("X_val", "y_val", "sample_weight_val")


def test_validation_rows_are_checked_like_the_training_rows(clf_data):
    X, y, X_val, y_val = _split(*clf_data)
    clf = MLPClassifier((4,), early_stopping=True, max_iter=3)
    with pytest.raises(ValueError, match="X has 5 features"):
        clf.fit(X, y, X_val=X_val[:, :5], y_val=y_val)
    with pytest.raises(ValueError, match="not in"):
        clf.fit(X, y, X_val=X_val, y_val=np.full(len(y_val), 7))


def _stream(clf, X, y, X_val, y_val, calls):
    for _ in range(calls):
        clf.partial_fit(X, y, classes=np.unique(y), X_val=X_val, y_val=y_val)
        if clf.n_iter_ == 0:
            break
    return clf


def test_partial_fit_carries_patience_and_stops_with_the_best_model(clf_data):
    X, y, X_val, y_val = _split(*clf_data)
    clf = MLPClassifier((8,), early_stopping=True, n_iter_no_change=2, random_state=0)
    clf.set_params(learning_rate_init=0.05)
    _stream(clf, X, y, X_val, y_val, 300)
    assert clf.n_iter_ == 0, "patience never ran out"
    scores = clf.validation_scores_
    best = int(np.argmax(scores))
    # Stopped after n_iter_no_change + 1 calls without improvement, best weights back.
    assert len(scores) - 1 - best >= clf.n_iter_no_change + 1
    assert accuracy_score(y_val, clf.predict(X_val)) == clf.best_validation_score_
    frozen = copy.deepcopy(clf)
    clf.partial_fit(X, y, X_val=X_val, y_val=y_val)  # a no-op now
    np.testing.assert_array_equal(clf.coefs_[0], frozen.coefs_[0])
    assert clf.validation_scores_ == scores and clf.n_iter_ == 0


def test_partial_fit_keeps_training_from_the_latest_weights_until_then(reg_data):
    X, y, X_val, y_val = _split(*reg_data)
    reg = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, random_state=0)
    plain = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y, X_val=X_val, y_val=y_val)
        plain.partial_fit(X, y)
    np.testing.assert_array_equal(reg.coefs_[0], plain.coefs_[0])
    assert len(reg.validation_scores_) == 3 and reg.best_loss_ is None
    fresh = copy.deepcopy(reg).fit(X, y, X_val=X_val, y_val=y_val)  # fit starts over
    assert len(fresh.validation_scores_) == fresh.n_iter_


def test_partial_fit_with_early_stopping_and_no_validation_rows_is_refused(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=np.unique(y))


def test_grid_search_passes_validation_rows_to_every_fit(clf_data):
    X, y, X_val, y_val = _split(*clf_data)
    search = GridSearchCV(
        MLPClassifier((4,), early_stopping=True, max_iter=5, random_state=0),
        {"alpha": [1e-4, 1e-2]},
        cv=2,
    )
    search.fit(X, y, X_val=X_val, y_val=y_val)
    assert search.best_estimator_.validation_scores_


def test_metadata_routing_and_pipeline_transform_input(clf_data):
    X, y, X_val, y_val = _split(*clf_data)
    X, X_val = X * 100, X_val * 100
    with sklearn.config_context(enable_metadata_routing=True):
        net = MLPClassifier((4,), early_stopping=True, max_iter=5, random_state=0)
        net.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("net", net)], transform_input=["X_val"])
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    scaled = pipe[0].transform(X_val)
    assert accuracy_score(y_val, pipe[-1].predict(scaled)) == pipe[-1].best_validation_score_
