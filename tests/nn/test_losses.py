import numpy as np
import pytest
from scipy.special import expit, softmax, xlogy

from sknet.nn.losses import LOSSES, loss_and_delta, mean_loss

RNG = np.random.RandomState(0)


def _targets(name, n, k):
    if name == "log_loss":
        return np.eye(k)[RNG.randint(k, size=n)]
    if name == "binary_log_loss":
        return RNG.randint(2, size=(n, k)).astype(float)
    if name == "poisson":
        return RNG.poisson(2.0, size=(n, k)).astype(float)
    return RNG.normal(size=(n, k))


def _naive(name, Z, Y):
    if name == "squared_error":
        return 0.5 * ((Z - Y) ** 2).sum(axis=1)
    if name == "poisson":
        mu = np.exp(Z)
        return (xlogy(Y, Y / mu) - Y + mu).sum(axis=1)
    if name == "log_loss":
        return -(Y * np.log(softmax(Z, axis=1))).sum(axis=1)
    p = expit(Z)
    return -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_per_sample_loss_matches_naive_formula(name):
    Z, Y = RNG.normal(size=(7, 3)), _targets(name, 7, 3)
    np.testing.assert_allclose(LOSSES[name].per_sample(Z, Y), _naive(name, Z, Y), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
def test_delta_is_the_gradient_of_the_weighted_sum(name, weighted):
    Z, Y = RNG.normal(size=(5, 3)), _targets(name, 5, 3)
    w = RNG.uniform(0.5, 2, size=5) if weighted else None
    delta = Z.copy()
    loss_and_delta(LOSSES[name], delta, Y, w)

    def total(Zp):
        per = LOSSES[name].per_sample(Zp, Y)
        return (per * (1 if w is None else w)).sum()

    h, numeric = 1e-6, np.empty_like(Z)
    for idx in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[idx] = h
        numeric[idx] = (total(Z + e) - total(Z - e)) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_weighted_mean(name):
    Z, Y = RNG.normal(size=(6, 2)), _targets(name, 6, 2)
    w = np.array([1, 2, 0, 1, 3, 1.0])
    expected = np.average(LOSSES[name].per_sample(Z, Y), weights=w)
    assert mean_loss(LOSSES[name], Z, Y, w) == pytest.approx(expected)


@pytest.mark.parametrize("name", ["log_loss", "binary_log_loss"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_losses_are_finite_and_exact_for_confident_wrong_predictions(name, dtype):
    Z = np.array([[-500.0, 500.0]], dtype=dtype)
    Y = np.array([[1.0, 0.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = LOSSES[name].per_sample(Z, Y)[0]
    assert value == pytest.approx(1000.0, rel=1e-5)


def test_output_activation_pairs():
    assert {n: l.out_activation for n, l in LOSSES.items()} == {
        "squared_error": "identity",
        "poisson": "exp",
        "log_loss": "softmax",
        "binary_log_loss": "logistic",
    }


@pytest.mark.parametrize("name", [n for n in sorted(LOSSES) if LOSSES[n].fused])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_loss_equals_loss_then_activation(name, dtype):
    from sknet.nn.activations import OUTPUT_ACTIVATIONS

    Z, Y = (30 * RNG.normal(size=(8, 4))).astype(dtype), _targets(name, 8, 4).astype(dtype)
    loss = LOSSES[name]
    expected_values = loss.per_sample(Z, Y)
    expected_output = OUTPUT_ACTIVATIONS[loss.out_activation](Z.copy())
    fused = Z.copy()
    np.testing.assert_allclose(loss.fused(fused, Y), expected_values, rtol=1e-5)
    np.testing.assert_allclose(fused, expected_output, rtol=1e-5, atol=1e-7)
