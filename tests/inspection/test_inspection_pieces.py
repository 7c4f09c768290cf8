"""Integrated gradients past the plain rule: exact on piecewise-linear
networks (_pieces), refined on the others (_paths)."""

import copy
import re
import warnings

import numpy as np
import pytest
from inspection_cases import X, network, numeric_gradient, outputs
from scipy.integrate import quad_vec
from scipy.special import expit, softmax

from sknet.inspection import _attributions, _pieces, attributions
from sknet.inspection._network import first_layer, read_network
from sknet.inspection._pieces import KINKS, breakpoints
from sknet.nn.activations import ACTIVATIONS as CORE_ACTIVATIONS

BASELINE = np.linspace(-0.5, 0.5, X.shape[1])
EXACT = dict(completeness_tol=1e-12)  # rows of piecewise-linear networks: exact


def with_weights(task, activation, Ws, bs):
    """A fitted estimator for ``task`` (4 input features) with these weights."""
    hidden = tuple(W.shape[1] for W in Ws[:-1])
    model = copy.deepcopy(network(task, activation, hidden=hidden))
    model.coefs_, model.intercepts_ = Ws, bs
    return model


def one_hidden_layer(task, width, scale, seed):
    """A relu network with one hidden layer of random weights times ``scale``."""
    rng = np.random.RandomState(seed)
    n_out = {"binary": 1, "multiclass": 3}[task]
    Ws = [scale * rng.randn(4, width), scale * rng.randn(width, n_out)]
    bs = [rng.randn(width), rng.randn(n_out)]
    return with_weights(task, "relu", Ws, bs), Ws, bs


@pytest.mark.parametrize("name", sorted(CORE_ACTIVATIONS))
def test_kinks_name_the_piecewise_linear_activations(name):
    """An activation in KINKS is linear between its kinks; every other one in
    the core's registry is curved somewhere (and gets quadrature)."""
    z = np.linspace(-4, 4, 801)
    A = CORE_ACTIVATIONS[name].forward(z[None, :].copy())[0]
    curvature = np.abs(A[2:] - 2 * A[1:-1] + A[:-2])
    straddles = np.zeros(z.size - 2, dtype=bool)  # second differences across a kink
    for kink in KINKS.get(name, (0.0,)):
        straddles |= (z[:-2] < kink) & (z[2:] > kink)
    if name in KINKS:
        assert curvature[~straddles].max() < 1e-12
    else:
        assert curvature[~straddles].max() > 1e-8


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_breakpoints_are_the_known_crossings(activation):
    """Along x1 = alpha, the first layer's units a - 0.2, 0.6 - a and 2a - 1
    cross 0 at 0.2, 0.6 and 0.5; the second layer's u1 + u3 - 0.5 crosses at
    1.7 / 3 (only once both are on) and u2 - 0.3 at 0.3 (for leaky_relu too:
    the small negative slope moves no crossing into [0, 1]). A second row runs
    half as far (x1 = alpha / 2): 0.4, 0.6, and 2a - 1 reaches 0 only at the
    end."""
    W0 = np.zeros((4, 3))
    W0[0] = [1, -1, 2]
    Ws = [W0, np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [-2.0]])]
    bs = [np.array([-0.2, 0.6, -1.0]), np.array([-0.5, -0.3]), np.array([0.1])]
    model = with_weights("regression", activation, Ws, bs)
    ends = np.array([[1.0, 0, 0, 0], [0.5, 0, 0, 0]])
    net = read_network(model)
    Z_base = first_layer(net, np.zeros_like(ends))
    rows, alpha, Z_out = breakpoints(net, Z_base, first_layer(net, ends) - Z_base)
    assert rows.tolist() == [0] * 7 + [1] * 4
    expected = [0, 0.2, 0.3, 0.5, 1.7 / 3, 0.6, 1, 0, 0.4, 0.6, 1]
    np.testing.assert_allclose(alpha, expected, rtol=0, atol=1e-15)
    points = alpha[:, None] * ends[rows]
    np.testing.assert_allclose(Z_out[:, 0], model.predict(points), rtol=0, atol=1e-15)


def _segments(W, c, x, b):
    """The ends of the pieces of [0, 1] on which no relu unit of
    ``relu((b + a (x - b)) W + c)`` switches, and the units on in each."""
    p, q = b @ W + c, (x - b) @ W
    with np.errstate(divide="ignore", invalid="ignore"):
        crossings = -p / q
    cuts = np.unique(np.r_[0.0, 1.0, crossings[(crossings > 0) & (crossings < 1)]])
    on = [p + (a0 + a1) / 2 * q > 0 for a0, a1 in zip(cuts[:-1], cuts[1:])]
    return cuts, on, lambda a: np.maximum(p + a * q, 0)


def _closed_form_binary(Ws, bs, x, b):
    """Integrated gradients of p = sigmoid(z), z = relu(x W0 + b0) W1 + b1,
    segment by segment: z is linear in alpha there, so the mean of
    sigmoid'(z) is the difference quotient of sigmoid, and dz/dx is constant."""
    (W, V), (c, e) = Ws, bs
    cuts, on, hidden = _segments(W, c, x, b)
    total = np.zeros_like(x)
    for (a0, a1), units in zip(zip(cuts[:-1], cuts[1:]), on):
        z0, z1 = (hidden(a) @ V[:, 0] + e[0] for a in (a0, a1))
        slope = (expit(z1) - expit(z0)) / (z1 - z0) if abs(z1 - z0) > 1e-9 else None
        mean = expit(z0) * expit(-z0) if slope is None else slope  # sigmoid'(z0) when flat
        total += (a1 - a0) * mean * (W[:, units] @ V[units, 0])
    return (x - b) * total


def _quadrature_softmax(Ws, bs, x, b, k):
    """Integrated gradients of p_k = softmax(z)_k, z = relu(x W0 + b0) W1 +
    b1, by adaptive quadrature (scipy's quad_vec) on each segment."""
    (W, V), (c, e) = Ws, bs
    cuts, on, hidden = _segments(W, c, x, b)
    total = np.zeros_like(x)
    for (a0, a1), units in zip(zip(cuts[:-1], cuts[1:]), on):

        def dp_dz(a):
            P = softmax(hidden(a) @ V + e)
            return P[k] * (np.eye(len(P))[k] - P)

        mean, _ = quad_vec(dp_dz, a0, a1, epsabs=1e-15, epsrel=1e-13)
        total += W[:, units] @ V[units] @ mean
    return (x - b) * total


@pytest.mark.parametrize("scale", [1, 4])
def test_exact_probability_attributions_match_the_closed_form(scale):
    """Binary: against the closed form; scale 4 saturates the sigmoid, with
    logit changes of tens on one segment, where a fixed short rule fails."""
    model, Ws, bs = one_hidden_layer("binary", 10, scale, seed=scale)
    A = attributions(model, X[:8], baseline=BASELINE, target="yes", **EXACT)
    expected = np.array([_closed_form_binary(Ws, bs, x, BASELINE) for x in X[:8]])
    np.testing.assert_allclose(A, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1, 4])
def test_exact_softmax_attributions_match_adaptive_quadrature(scale):
    model, Ws, bs = one_hidden_layer("multiclass", 8, scale, seed=scale)
    A = attributions(model, X[:6], baseline=BASELINE, target="dog", **EXACT)
    expected = np.array([_quadrature_softmax(Ws, bs, x, BASELINE, 1) for x in X[:6]])
    np.testing.assert_allclose(A, expected, rtol=1e-8, atol=1e-11)


@pytest.mark.parametrize("output", ["auto", "logit"])
@pytest.mark.parametrize(("task", "target"), [("multiclass", "emu"), ("multilabel", 1)])
@pytest.mark.parametrize("activation", sorted(KINKS))
def test_exact_matches_a_very_fine_riemann_sum(activation, task, target, output):
    """Two hidden layers, against the midpoint rule on 40,000 steps of
    finite-difference gradients. Its error is O(1 / steps) across the jumps:
    here below 5e-5 of the largest attribution, where the plain 50-point rule
    is off by 4e-3 to 0.1 of it."""
    model = network(task, activation, hidden=(8, 6))
    rows, logit = X[:4], output == "logit"
    column = list(model.classes_).index(target) if task == "multiclass" else target
    alphas = (np.arange(40_000) + 0.5) / 40_000
    points = (BASELINE + alphas[:, None, None] * (rows - BASELINE)).reshape(-1, X.shape[1])
    G = numeric_gradient(lambda Z: outputs(model, Z, logit)[:, [column]], points)[:, :, 0]
    expected = G.reshape(alphas.size, len(rows), -1).mean(axis=0) * (rows - BASELINE)
    A = attributions(model, rows, baseline=BASELINE, target=target, output=output, **EXACT)
    scale = np.abs(expected).max()
    assert np.abs(A - expected).max() < 5e-4 * scale


def test_output_gradients_averaged_in_slices_change_nothing(monkeypatch):
    model, _, _ = one_hidden_layer("multiclass", 8, 4, seed=0)
    whole = attributions(model, X, baseline=BASELINE, **EXACT)
    monkeypatch.setattr(_pieces, "_MAX_POINTS", 7)
    sliced = attributions(model, X, baseline=BASELINE, **EXACT)
    np.testing.assert_allclose(sliced, whole, rtol=1e-13, atol=1e-16)


def test_rows_the_plain_rule_meets_keep_it_and_the_others_become_exact():
    model = network("multiclass", "relu", hidden=(8, 6))
    kwargs = dict(baseline=BASELINE, target="cat", return_completeness=True)
    plain, plain_error = attributions(model, X, completeness_tol=None, **kwargs)
    A, error = attributions(model, X, **kwargs)
    exact, exact_error = attributions(model, X, **EXACT, **kwargs)
    met, missed = plain_error < 0.009, plain_error > 0.011
    assert met.sum() >= 5 and missed.sum() >= 5
    np.testing.assert_array_equal(A[met], plain[met])
    np.testing.assert_allclose(A[missed], exact[missed], rtol=1e-12, atol=1e-15)
    assert exact_error.max() < 1e-10 and error.max() < 0.01


@pytest.mark.parametrize("task", ["multiclass", "regression", "poisson"])
def test_float32_exact_attributions_match_float64(task):
    m64 = network(task, "relu", hidden=(8, 6))
    m32 = network(task, "relu", hidden=(8, 6), dtype=np.float32)
    A64 = attributions(m64, X, baseline="mean", **EXACT)
    A32 = attributions(m32, X.astype(np.float32), baseline="mean", **EXACT)
    assert A32.dtype == np.float32
    np.testing.assert_allclose(A32, A64, rtol=2e-3, atol=2e-5 * np.abs(A64).max())


@pytest.mark.parametrize("tol", [1e-2, 1e-4])
def test_elu_networks_refine_the_rows_that_miss(tol):
    """Not piecewise linear: rows that the plain rule leaves off by more than
    the tolerance get more panels, the others keep the plain rule."""
    model = network("binary", "elu", hidden=(8, 6))
    kwargs = dict(baseline=BASELINE, target="yes", return_completeness=True)
    plain, plain_error = attributions(model, X, completeness_tol=None, **kwargs)
    A, error = attributions(model, X, completeness_tol=tol, **kwargs)
    assert (plain_error > tol).any() and error.max() < tol
    met = plain_error < 0.9 * tol
    np.testing.assert_array_equal(A[met], plain[met])


@pytest.mark.parametrize("activation", [("tanh", "relu"), ("relu", "tanh"), ("gelu", "leaky_relu")])
def test_mixed_networks_meet_the_tolerance_or_say_how_many_rows_miss(activation):
    """A relu layer with a smooth one: panels converge only as 1 / panels
    across the jumps, so some rows may miss 1%; a warning counts them."""
    model = copy.deepcopy(network("regression-2", "tanh", hidden=(8, 6)))
    model.activation = activation
    kwargs = dict(baseline=BASELINE, target=1, return_completeness=True)
    _, plain_error = attributions(model, X, completeness_tol=None, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, error = attributions(model, X, **kwargs)
    missed = sum(int(re.search(r"of (\d+) rows", str(w.message))[1]) for w in caught)
    assert np.mean(plain_error > 0.01) > 0.1
    assert (error > 0.01).sum() == missed < 5


def test_a_tolerance_out_of_reach_warns_once_at_the_callers_line(monkeypatch):
    model = network("binary", "elu", hidden=(8, 6))
    monkeypatch.setattr(_attributions, "_MAX_ELEMENTS", 5000)  # several chunks of rows
    with pytest.warns(UserWarning, match="miss completeness_tol=1e-15 even on 64 panels") as w:
        attributions(model, X, baseline=BASELINE, completeness_tol=1e-15)
    assert len(w) == 1 and w[0].filename == __file__
