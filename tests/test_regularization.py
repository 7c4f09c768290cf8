"""Dropout, gradient clipping and AdamW on the estimators (issue 12, items 1, 5, 6)."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from sknet import DivergenceError, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _fit(Estimator, X, y, **params):
    params = {"hidden_layer_sizes": (8, 6), "max_iter": 5, "random_state": 0, **params}
    return Estimator(**params).fit(X, y)


# ------------------------------------------------------------------ dropout


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_dropout_is_reproducible_from_random_state_and_changes_training(clf_data, solver):
    X, y = clf_data
    a = _fit(MLPClassifier, X, y, solver=solver, dropout=0.3)
    b = _fit(MLPClassifier, X, y, solver=solver, dropout=0.3)
    plain = _fit(MLPClassifier, X, y, solver=solver)
    other_seed = _fit(MLPClassifier, X, y, solver=solver, dropout=0.3, random_state=1)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.allclose(a.coefs_[0], plain.coefs_[0])
    assert not np.allclose(a.loss_curve_, other_seed.loss_curve_)


def test_prediction_is_deterministic_and_uses_every_unit(clf_data):
    X, y = clf_data
    clf = _fit(MLPClassifier, X, y, dropout=0.5)
    twin = clone(clf).set_params(dropout=0.0)
    twin.coefs_, twin.intercepts_ = clf.coefs_, clf.intercepts_
    for attr in ("classes_", "out_activation_", "n_outputs_", "n_features_in_", "n_layers_"):
        setattr(twin, attr, getattr(clf, attr))
    twin._label_binarizer = clf._label_binarizer
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(clf.predict_proba(X), twin.predict_proba(X))


def test_per_layer_rates_drop_only_where_asked(reg_data):
    X, y = reg_data
    none_in_first = _fit(MLPRegressor, X, y, dropout=(0.0, 0.4))
    everywhere = _fit(MLPRegressor, X, y, dropout=0.4)
    assert not np.allclose(none_in_first.coefs_[0], everywhere.coefs_[0])
    with pytest.raises(ValueError, match="dropout has 3 entries but the network has 2 hidden"):
        _fit(MLPRegressor, X, y, dropout=(0.1, 0.1, 0.1))
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        _fit(MLPRegressor, X, y, dropout=(0.1, 1.0))


def test_lbfgs_refuses_dropout_before_training_and_keeps_the_fitted_model(clf_data):
    X, y = clf_data
    clf = _fit(MLPClassifier, X, y, solver="lbfgs")
    before = [W.copy() for W in clf.coefs_]
    clf.set_params(dropout=0.2, warm_start=True)
    with pytest.raises(ValueError, match=r"dropout=0.2 needs a stochastic solver.*solver=.adam."):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], before[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_with_weights_warm_start_and_partial_fit(clf_data, dtype):
    X, y = clf_data
    X = X.astype(dtype)
    w = np.random.RandomState(0).uniform(0.5, 2, len(y))
    clf = MLPClassifier((8,), dropout=0.2, class_weight={0: 2.0}, random_state=0, max_iter=3)
    clf.fit(X, y, sample_weight=w)
    clf.set_params(warm_start=True).fit(X, y, sample_weight=w)
    clf.partial_fit(X, y, sample_weight=w)
    assert clf.coefs_[0].dtype == dtype and len(clf.loss_curve_) == 7
    assert np.isfinite(clf.loss_curve_).all()


# ------------------------------------------------------------ max_grad_norm


@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_a_large_max_grad_norm_changes_nothing(reg_data, solver):
    X, y = reg_data
    plain = _fit(MLPRegressor, X, y, solver=solver)
    loose = _fit(MLPRegressor, X, y, solver=solver, max_grad_norm=1e12)
    np.testing.assert_array_equal(plain.coefs_[0], loose.coefs_[0])


def test_clipping_bounds_every_sgd_step(reg_data):
    X, y = reg_data
    start = _fit(MLPRegressor, X, y, solver="sgd", max_iter=1)
    params = dict(momentum=0.0, batch_size=len(X), learning_rate_init=0.1, max_iter=1)
    clipped = copy.deepcopy(start).set_params(warm_start=True, max_grad_norm=0.01, **params)
    clipped.fit(X, y)  # one full-batch step, of length lr * max_grad_norm
    moved = np.concatenate(
        [
            (a - b).ravel()
            for a, b in zip(clipped.coefs_ + clipped.intercepts_, start.coefs_ + start.intercepts_)
        ]
    )
    assert clipped.n_iter_ == 1
    assert np.linalg.norm(moved) == pytest.approx(0.1 * 0.01, rel=1e-6)


def test_clipping_prevents_a_divergence(reg_data):
    X, y = reg_data
    y = y * 10
    params = dict(solver="sgd", learning_rate_init=0.5, hidden_layer_sizes=(16,), max_iter=20)
    with pytest.raises(DivergenceError, match=r"max_grad_norm=1\.0"):
        _fit(MLPRegressor, X, y, **params)
    reg = _fit(MLPRegressor, X, y, max_grad_norm=1.0, **params)
    assert reg.loss_ < 0.1 * reg.loss_curve_[0]


# ------------------------------------------------------------------- adamw


def test_adamw_without_decay_is_adam(clf_data):
    X, y = clf_data
    adam = _fit(MLPClassifier, X, y, solver="adam", alpha=0.0)
    adamw = _fit(MLPClassifier, X, y, solver="adamw", alpha=0.0)
    np.testing.assert_array_equal(adam.coefs_[0], adamw.coefs_[0])
    np.testing.assert_array_equal(adam.loss_curve_, adamw.loss_curve_)


def test_adamw_decays_the_weights_and_leaves_l2_out_of_the_loss(clf_data):
    X, y = clf_data
    params = dict(max_iter=20, learning_rate_init=0.01)
    weak = _fit(MLPClassifier, X, y, solver="adamw", alpha=1e-5, **params)
    strong = _fit(MLPClassifier, X, y, solver="adamw", alpha=1e-2, **params)
    norm = lambda m: sum(float((W**2).sum()) for W in m.coefs_)  # noqa: E731
    assert norm(strong) < 0.8 * norm(weak)
    # The loss reported is the data loss: the same weights give the same loss.
    adam = _fit(MLPClassifier, X, y, solver="adam", alpha=10.0, max_iter=1)
    adamw = _fit(MLPClassifier, X, y, solver="adamw", alpha=10.0, max_iter=1)
    assert adamw.loss_curve_[0] < adam.loss_curve_[0]


def test_adamw_has_partial_fit_and_warm_start(reg_data):
    X, y = reg_data
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="adamw", alpha=1e-3, random_state=0)
    for _ in range(3):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 1 and len(reg.loss_curve_) == 3 and reg.t_ == 3 * len(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert len(reg.loss_curve_) == 5
