import numpy as np
import pytest
from scipy.special import expit, softmax, xlogy

from sknet.nn.losses import LOSSES, loss_and_delta, mean_loss

RNG = np.random.RandomState(0)


# Soft targets: class probabilities (log_loss) or values in [0, 1]
# (binary_log_loss) instead of labels, as in knowledge distillation.
SOFT = ["log_loss", "binary_log_loss"]
CASES = [(name, False) for name in sorted(LOSSES)] + [(name, True) for name in SOFT]
IDS = [f"{name}-{'soft' if soft else 'hard'}" for name, soft in CASES]


def _targets(name, n, k, soft=False):
    if name == "log_loss":
        return RNG.dirichlet(np.ones(k), size=n) if soft else np.eye(k)[RNG.randint(k, size=n)]
    if name == "binary_log_loss":
        return RNG.uniform(size=(n, k)) if soft else RNG.randint(2, size=(n, k)).astype(float)
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


@pytest.mark.parametrize(("name", "soft"), CASES, ids=IDS)
def test_per_sample_loss_matches_naive_formula(name, soft):
    Z, Y = RNG.normal(size=(7, 3)), _targets(name, 7, 3, soft)
    np.testing.assert_allclose(LOSSES[name].per_sample(Z, Y), _naive(name, Z, Y), rtol=1e-10)


@pytest.mark.parametrize(("name", "soft"), CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_delta_is_the_gradient_of_the_weighted_sum(name, soft, weighted):
    Z, Y = RNG.normal(size=(5, 3)), _targets(name, 5, 3, soft)
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


@pytest.mark.parametrize(("name", "soft"), [c for c in CASES if LOSSES[c[0]].fused])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_loss_equals_loss_then_activation(name, soft, dtype):
    from sknet.nn.activations import OUTPUT_ACTIVATIONS

    Z = (30 * RNG.normal(size=(8, 4))).astype(dtype)
    Y = _targets(name, 8, 4, soft).astype(dtype)
    loss = LOSSES[name]
    expected_values = loss.per_sample(Z, Y)
    expected_output = OUTPUT_ACTIVATIONS[loss.out_activation](Z.copy())
    fused = Z.copy()
    np.testing.assert_allclose(loss.fused(fused, Y), expected_values, rtol=1e-5)
    np.testing.assert_allclose(fused, expected_output, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", SOFT)
def test_soft_targets_are_matched_exactly_at_the_minimum(name):
    # The cross-entropy of soft targets Y is minimal where f(Z) = Y: for
    # softmax at Z = log(Y) (up to a constant per row), for the logistic at
    # Z = logit(Y). There the delta vanishes and the loss is the entropy of Y.
    Y = _targets(name, 6, 3, soft=True)
    Z = np.log(Y) + 2.0 if name == "log_loss" else np.log(Y) - np.log1p(-Y)
    delta = Z.copy()
    value = loss_and_delta(LOSSES[name], delta, Y)
    np.testing.assert_allclose(delta, 0, atol=1e-12)
    entropy = -xlogy(Y, Y).sum(axis=1)
    if name == "binary_log_loss":
        entropy -= xlogy(1 - Y, 1 - Y).sum(axis=1)
    assert value == pytest.approx(entropy.mean())
