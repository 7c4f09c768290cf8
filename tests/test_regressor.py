import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, PoissonRegressor

from sknet import MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_single_and_multi_output_shapes(reg_data):
    X, y = reg_data
    one = MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    assert one.predict(X).shape == (120,) and one.n_outputs_ == 1
    Y = np.c_[y, -y, 2 * y]
    many = MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, Y)
    assert many.predict(X).shape == (120, 3) and many.n_outputs_ == 3


def test_one_neuron_linear_regression_matches_least_squares(reg_data):
    X, y = reg_data
    # Seeded: from about 1 start in 40, L-BFGS stops just short of atol=1e-5.
    reg = MLPRegressor(
        hidden_layer_sizes=(), solver="lbfgs", alpha=0.0, tol=1e-12, random_state=0
    ).fit(X, y)
    ref = LinearRegression().fit(X, y)
    np.testing.assert_allclose(reg.coefs_[0].ravel(), ref.coef_, atol=1e-5)
    np.testing.assert_allclose(reg.intercepts_[0], ref.intercept_, atol=1e-5)


def test_one_neuron_sgd_converges_to_least_squares(reg_data):
    X, y = reg_data
    reg = MLPRegressor(
        hidden_layer_sizes=(),
        solver="sgd",
        alpha=0.0,
        learning_rate_init=0.05,
        batch_size=len(X),
        max_iter=500,
        tol=1e-12,
        n_iter_no_change=50,
        random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(reg.coefs_[0].ravel(), LinearRegression().fit(X, y).coef_, atol=0.02)


def test_poisson_linear_model_matches_poisson_regressor():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3))
    y = rng.poisson(np.exp(X @ [0.3, -0.2, 0.1] + 0.5)).astype(float)
    reg = MLPRegressor(
        hidden_layer_sizes=(), loss="poisson", solver="lbfgs", alpha=0.0, tol=1e-12
    ).fit(X, y)
    ref = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=1000).fit(X, y)
    assert reg.out_activation_ == "exp"
    np.testing.assert_allclose(reg.predict(X), ref.predict(X), rtol=1e-4)


def test_poisson_rejects_negative_targets(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, y)
