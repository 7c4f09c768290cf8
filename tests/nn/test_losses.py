import numpy as np
import pytest
from scipy.special import expit, softmax, xlogy

from sknet.nn.losses import LOSSES, get, huber, loss_and_delta, mean_loss, quantile

RNG = np.random.RandomState(0)

# Every registered loss, plus the parametrized ones away from their defaults.
LOSS_CASES = [LOSSES[n] for n in sorted(LOSSES)] + [huber(0.3), quantile(0.1), quantile(0.9)]
# Soft targets: class probabilities (log_loss) or values in [0, 1]
# (binary_log_loss) instead of labels, as in knowledge distillation.
SOFT = ["log_loss", "binary_log_loss"]
CASES = [(c, False) for c in LOSS_CASES] + [(LOSSES[n], True) for n in SOFT]
IDS = [f"{c.name}{c.params or ''}-{'soft' if soft else 'hard'}" for c, soft in CASES]
KINKED = {"absolute_error", "huber", "quantile"}


def _targets(name, n, k, soft=False):
    if name == "log_loss":
        return RNG.dirichlet(np.ones(k), size=n) if soft else np.eye(k)[RNG.randint(k, size=n)]
    if name == "binary_log_loss":
        return RNG.uniform(size=(n, k)) if soft else RNG.randint(2, size=(n, k)).astype(float)
    if name == "poisson":
        return RNG.poisson(2.0, size=(n, k)).astype(float)
    return RNG.normal(size=(n, k))


def _naive(loss, Z, Y):
    name, R = loss.name, Z - Y
    if name == "absolute_error":
        return np.abs(R).sum(axis=1)
    if name == "huber":
        d = loss.params["delta"]
        return (0.5 * np.minimum(np.abs(R), d) ** 2 + d * np.maximum(np.abs(R) - d, 0)).sum(1)
    if name == "quantile":
        q = loss.params["quantile"]
        return (q * np.maximum(-R, 0) + (1 - q) * np.maximum(R, 0)).sum(axis=1)
    if name == "squared_error":
        return 0.5 * ((Z - Y) ** 2).sum(axis=1)
    if name == "poisson":
        mu = np.exp(Z)
        return (xlogy(Y, Y / mu) - Y + mu).sum(axis=1)
    if name == "log_loss":
        return -(Y * np.log(softmax(Z, axis=1))).sum(axis=1)
    p = expit(Z)
    return -(Y * np.log(p) + (1 - Y) * np.log(1 - p)).sum(axis=1)


@pytest.mark.parametrize(("loss", "soft"), CASES, ids=IDS)
def test_per_sample_loss_matches_naive_formula(loss, soft):
    Z, Y = 2 * RNG.normal(size=(7, 3)), _targets(loss.name, 7, 3, soft)
    np.testing.assert_allclose(loss.per_sample(Z, Y), _naive(loss, Z, Y), rtol=1e-10)


def _away_from_kinks(loss, Z, Y, gap=1e-3):
    """Finite differences need every residual off the loss's kinks."""
    R = np.abs(Z - Y)
    kinks = [0.0] + ([loss.params["delta"]] if loss.name == "huber" else [])
    return loss.name not in KINKED or all(np.abs(R - k).min() > gap for k in kinks)


@pytest.mark.parametrize(("loss", "soft"), CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True])
def test_delta_is_the_gradient_of_the_weighted_sum(loss, soft, weighted):
    Z, Y = RNG.normal(size=(5, 3)), _targets(loss.name, 5, 3, soft)
    assert _away_from_kinks(loss, Z, Y)
    w = RNG.uniform(0.5, 2, size=5) if weighted else None
    delta = Z.copy()
    loss_and_delta(loss, delta, Y, w)

    def total(Zp):
        per = loss.per_sample(Zp, Y)
        return (per * (1 if w is None else w)).sum()

    h, numeric = 1e-6, np.empty_like(Z)
    for idx in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[idx] = h
        numeric[idx] = (total(Z + e) - total(Z - e)) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", LOSS_CASES, ids=[f"{c.name}{c.params or ''}" for c in LOSS_CASES])
def test_weighted_mean(loss):
    Z, Y = RNG.normal(size=(6, 2)), _targets(loss.name, 6, 2)
    w = np.array([1, 2, 0, 1, 3, 1.0])
    expected = np.average(loss.per_sample(Z, Y), weights=w)
    assert mean_loss(loss, Z, Y, w) == pytest.approx(expected)


@pytest.mark.parametrize(("loss", "soft"), CASES, ids=IDS)
def test_float32_value_and_delta_agree_with_float64(loss, soft):
    Z, Y = RNG.normal(size=(6, 2)), _targets(loss.name, 6, 2, soft)
    assert _away_from_kinks(loss, Z.astype(np.float32), Y.astype(np.float32))
    results = []
    for dtype in (np.float32, np.float64):
        delta = Z.astype(dtype)
        value = loss_and_delta(loss, delta, Y.astype(dtype))
        assert delta.dtype == dtype
        results.append((value, delta))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


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
        "absolute_error": "identity",
        "huber": "identity",
        "quantile": "identity",
    }


@pytest.mark.parametrize("z, expected", [(-3.0, -1.0), (-0.5, -0.5), (0.2, 0.2), (4.0, 1.0)])
def test_huber_delta_is_the_residual_clipped_at_delta(z, expected):
    delta = np.array([[z]])
    loss_and_delta(huber(delta=1.0), delta, np.zeros((1, 1)))
    assert delta[0, 0] == expected


@pytest.mark.parametrize("q", [0.1, 0.5, 0.75])
def test_quantile_prices_under_and_over_predictions(q):
    # Under-predictions (y > z) cost q per unit, over-predictions 1 - q.
    np.testing.assert_allclose(quantile(q).per_sample(np.zeros((1, 1)), np.ones((1, 1))), [q])
    np.testing.assert_allclose(quantile(q).per_sample(np.ones((1, 1)), np.zeros((1, 1))), [1 - q])


def test_median_loss_is_half_the_absolute_error_with_half_its_delta():
    Z, Y = RNG.normal(size=(8, 2)), RNG.normal(size=(8, 2))
    half, absolute = Z.copy(), Z.copy()
    a = loss_and_delta(quantile(0.5), half, Y)
    b = loss_and_delta(LOSSES["absolute_error"], absolute, Y)
    assert a == pytest.approx(0.5 * b)
    np.testing.assert_allclose(half, 0.5 * absolute)
    assert set(np.unique(absolute)) == {-1.0, 1.0}


def test_get_carries_the_parameters():
    assert get("huber", delta=2.5).params == {"delta": 2.5}
    assert get("quantile", quantile=0.9).params == {"quantile": 0.9}
    assert get("quantile").params == {"quantile": 0.5}
    assert get("squared_error") is LOSSES["squared_error"]


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("hinge", {}, "choose one of"),
        ("huber", {"quantile": 0.5}, "takes the parameters \\['delta'\\]"),
        ("squared_error", {"delta": 1.0}, "takes the parameters \\[\\]"),
        ("huber", {"delta": 0.0}, "delta > 0"),
        ("quantile", {"quantile": 1.0}, "0 < quantile < 1"),
        ("quantile", {"quantile": -0.2}, "0 < quantile < 1"),
    ],
)
def test_get_refuses_bad_names_and_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        get(name, **params)


@pytest.mark.parametrize(("name", "soft"), [(c.name, s) for c, s in CASES if c.fused])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_loss_equals_loss_then_activation(name, soft, dtype):
    from sknet.nn.activations import OUTPUT_ACTIVATIONS

    Z = (30 * RNG.normal(size=(8, 4))).astype(dtype)
    Y = _targets(name, 8, 4, soft).astype(dtype)
    loss = LOSSES[name]
    expected_values = loss.per_sample(Z, Y)
    expected_output = OUTPUT_ACTIVATIONS[loss.out_activation](Z.copy())
    w = RNG.uniform(0.1, 2.0, size=8).astype(dtype)
    for weights, expected in [
        (None, expected_values.mean()),
        (w, np.average(expected_values, weights=w)),
    ]:
        fused = Z.copy()
        assert loss.fused(fused, Y, weights) == pytest.approx(expected, rel=1e-5)
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
