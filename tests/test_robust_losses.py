"""The regressor's robust and quantile losses and their parameters (issue 12, item 2)."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from sknet import MLPRegressor
from sknet.nn import losses

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _heteroscedastic(n=3000, seed=0):
    """y = x + noise whose spread grows with x: known conditional quantiles."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 1, size=(n, 1))
    return X, X[:, 0] + (0.2 + X[:, 0]) * rng.normal(size=n)


@pytest.mark.parametrize("quantile", [0.1, 0.9])
def test_quantile_recovers_the_requested_quantile(quantile):
    X, y = _heteroscedastic()
    reg = MLPRegressor(
        "quantile",
        quantile=quantile,
        hidden_layer_sizes=(16,),
        activation="tanh",
        learning_rate_init=0.01,
        max_iter=200,
        random_state=0,
    ).fit(X, y)
    X_test, y_test = _heteroscedastic(seed=1)
    assert np.mean(y_test <= reg.predict(X_test)) == pytest.approx(quantile, abs=0.02)


def test_huber_delta_reaches_the_loss_and_resists_outliers():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(400, 1))
    y = 2 * X[:, 0]
    y_dirty = y.copy()
    y_dirty[:20] += 50  # 5% gross outliers
    params = dict(hidden_layer_sizes=(), solver="lbfgs", max_iter=500, random_state=0)
    huber = MLPRegressor("huber", huber_delta=0.5, **params).fit(X, y_dirty)
    squared = MLPRegressor("squared_error", **params).fit(X, y_dirty)
    assert r2_score(y, huber.predict(X)) > 0.99 > r2_score(y, squared.predict(X))
    assert huber._loss().params == {"delta": 0.5}
    wide = MLPRegressor("huber", huber_delta=100.0, **params).fit(X, y_dirty)
    np.testing.assert_allclose(wide.predict(X), squared.predict(X), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_loss_is_the_mean_of_the_chosen_loss_and_score_stays_r2(reg_data, loss):
    X, y = reg_data
    reg = MLPRegressor(loss, hidden_layer_sizes=(), solver="lbfgs", alpha=0.0, quantile=0.3)
    reg.fit(X, y)
    Z = reg.predict(X).reshape(-1, 1)
    expected = reg._loss().per_sample(Z, y.reshape(-1, 1)).mean()
    assert reg.loss_ == pytest.approx(expected, rel=1e-6)
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)))


@pytest.mark.parametrize(("param", "value"), [("quantile", 1.0), ("huber_delta", 0.0)])
def test_loss_parameters_are_validated(reg_data, param, value):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=param):
        MLPRegressor(**{param: value}).fit(*reg_data)


def test_the_parameters_only_touch_their_own_loss(reg_data):
    X, y = reg_data
    a = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    b = MLPRegressor(
        hidden_layer_sizes=(4,), max_iter=3, random_state=0, quantile=0.9, huber_delta=3.0
    ).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert losses.get("quantile", quantile=0.9).params == {"quantile": 0.9}
