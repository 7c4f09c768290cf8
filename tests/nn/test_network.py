import numpy as np
import pytest
import scipy.sparse as sp

from sknet.nn import MLP
from sknet.nn.activations import ACTIVATIONS
from sknet.nn.losses import LOSSES


def _problem(loss, n=9, n_in=4, n_out=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "log_loss":
        Y = np.eye(n_out)[rng.randint(n_out, size=n)]
    elif loss == "binary_log_loss":
        Y = rng.randint(2, size=(n, n_out)).astype(float)
    elif loss == "poisson":
        Y = rng.poisson(1.5, size=(n, n_out)).astype(float)
    else:
        Y = rng.normal(size=(n, n_out))
    return X, Y


def _soft_problem(loss, n=9, n_in=4, n_out=3, seed=0):
    """Soft targets: class probabilities, or values in [0, 1] (binary)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, n_in))
    if loss == "log_loss":
        return X, rng.dirichlet(np.ones(n_out), size=n)
    return X, rng.uniform(size=(n, n_out))


def _numeric_gradient(net, theta, X, Y, w, alpha, h=1e-6):
    ws = net.workspace(X.shape[0])
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        up = net.loss_grad(theta + step, X, Y, w, alpha, ws)
        down = net.loss_grad(theta - step, X, Y, w, alpha, ws)
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradient_matches_finite_differences(activation, loss, weighted, alpha):
    X, Y = _problem(loss)
    w = np.random.RandomState(1).uniform(0.2, 3.0, size=len(X)) if weighted else None
    net = MLP((4, 5, 3, 3), activation, loss)
    theta = net.init(np.random.RandomState(2))
    ws = net.workspace(len(X))
    net.loss_grad(theta, X, Y, w, alpha, ws)
    numeric = _numeric_gradient(net, theta, X, Y, w, alpha)
    np.testing.assert_allclose(ws.grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["log_loss", "binary_log_loss"])
def test_gradient_with_soft_targets_matches_finite_differences(activation, loss):
    X, Y = _soft_problem(loss)
    w = np.random.RandomState(1).uniform(0.2, 3.0, size=len(X))
    net = MLP((4, 5, 3), activation, loss)
    theta = net.init(np.random.RandomState(2))
    ws = net.workspace(len(X))
    net.loss_grad(theta, X, Y, w, 0.1, ws)
    numeric = _numeric_gradient(net, theta, X, Y, w, 0.1)
    np.testing.assert_allclose(ws.grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_gradient_of_a_linear_model(loss):
    X, Y = _problem(loss)
    net = MLP((4, 3), "relu", loss)
    theta = net.init(np.random.RandomState(0))
    ws = net.workspace(len(X))
    net.loss_grad(theta, X, Y, None, 0.1, ws)
    np.testing.assert_allclose(
        ws.grad, _numeric_gradient(net, theta, X, Y, None, 0.1), rtol=1e-5, atol=1e-8
    )


def test_sparse_input_gives_the_dense_gradient():
    X, Y = _problem("log_loss")
    net = MLP((4, 6, 3), "tanh", "log_loss")
    theta = net.init(np.random.RandomState(0))
    dense, sparse = net.workspace(len(X)), net.workspace(len(X))
    a = net.loss_grad(theta, X, Y, None, 0.01, dense)
    b = net.loss_grad(theta, sp.csr_matrix(X), Y, None, 0.01, sparse)
    assert a == pytest.approx(b)
    np.testing.assert_allclose(dense.grad, sparse.grad)


def test_pack_unpack_round_trip_and_views():
    net = MLP((3, 4, 2), "relu", "squared_error")
    theta = net.init(np.random.RandomState(0))
    Ws, bs = net.unpack(theta)
    assert [W.shape for W in Ws] == [(3, 4), (4, 2)]
    assert [b.shape for b in bs] == [(4,), (2,)]
    np.testing.assert_array_equal(net.pack(Ws, bs), theta)
    Ws[0][0, 0] = 42.0
    assert theta[0] == 42.0  # views, not copies
    assert net.n_weights == 3 * 4 + 4 * 2


def test_init_matches_scikit_learn_glorot_draws():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    X, y = np.random.RandomState(0).normal(size=(20, 3)), np.arange(20.0)
    ref = MLPRegressor(
        hidden_layer_sizes=(5,), max_iter=1, random_state=7, solver="sgd", learning_rate_init=1e-12
    )
    with pytest.warns(ConvergenceWarning):
        ref.fit(X, y)
    net = MLP((3, 5, 1), "relu", "squared_error")
    Ws, _ = net.unpack(net.init(np.random.RandomState(7)))
    np.testing.assert_allclose(Ws[0], ref.coefs_[0], atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_in_chunks_equals_one_pass_and_keeps_dtype(dtype):
    X = np.random.RandomState(0).normal(size=(103, 4)).astype(dtype)
    net = MLP((4, 8, 3), "gelu", "log_loss", dtype)
    theta = net.init(np.random.RandomState(0))
    Ws, bs = net.unpack(theta)
    whole = net.predict(Ws, bs, X, chunk_size=1000)
    chunked = net.predict(Ws, bs, X, chunk_size=10)
    assert chunked.dtype == dtype
    np.testing.assert_allclose(whole, chunked, rtol=1e-6)
    np.testing.assert_allclose(whole.sum(axis=1), 1, rtol=1e-5)


PER_LAYER = [("tanh", "relu"), ("gelu", "logistic"), ("relu", "silu"), ("mish", "softplus")]


@pytest.mark.parametrize("names", PER_LAYER)
@pytest.mark.parametrize("loss", ["log_loss", "huber", "quantile"])
def test_per_layer_activations_gradient_matches_finite_differences(names, loss):
    X, Y = _problem(loss)
    net = MLP((4, 5, 3, 3), names, loss)
    assert [a.name for a in net.activations] == list(names) and net.activation is None
    theta = net.init(np.random.RandomState(2))
    ws = net.workspace(len(X))
    net.loss_grad(theta, X, Y, None, 0.1, ws)
    numeric = _numeric_gradient(net, theta, X, Y, None, 0.1)
    np.testing.assert_allclose(ws.grad, numeric, rtol=1e-5, atol=1e-8)


def test_one_name_per_layer_equals_one_shared_name_bitwise():
    X, Y = _problem("log_loss")
    shared, listed = (
        MLP((4, 5, 3, 3), "gelu", "log_loss"),
        MLP((4, 5, 3, 3), ["gelu"] * 2, "log_loss"),
    )
    assert shared.activation is ACTIVATIONS["gelu"] and listed.activation is ACTIVATIONS["gelu"]
    theta = shared.init(np.random.RandomState(0))
    a, b = shared.workspace(len(X)), listed.workspace(len(X))
    assert shared.loss_grad(theta, X, Y, None, 0.1, a) == listed.loss_grad(
        theta, X, Y, None, 0.1, b
    )
    np.testing.assert_array_equal(a.grad, b.grad)


@pytest.mark.parametrize("names", [("relu",), ("relu", "tanh", "relu"), ()])
def test_per_layer_activations_must_match_the_hidden_layers(names):
    with pytest.raises(ValueError, match=f"activation has {len(names)} entries .* 2 hidden"):
        MLP((4, 5, 3, 3), names, "squared_error")


def test_unknown_per_layer_activation_names_the_choices():
    with pytest.raises(ValueError, match="Unknown activation 'swish'; choose one of"):
        MLP((4, 5, 3, 3), ("relu", "swish"), "squared_error")


def test_workspace_keeps_z_only_for_layers_whose_derivative_needs_it():
    net = MLP((4, 5, 3, 6, 2), ("relu", "mish", "tanh"), "squared_error")
    ws = net.workspace(7)
    assert [z is None for z in ws.Z] == [True, False, True]
    assert ws.Z[1].shape == (7, 3)
    assert all(z is None for z in net.workspace(7, rng=None).Z[::2])


def test_init_takes_one_factor_per_layer():
    net = MLP((3, 5, 4, 2), ("logistic", "relu"), "squared_error")
    Ws, _ = net.unpack(net.init(np.random.RandomState(0), factor=(2.0, 6.0, 6.0)))
    bounds = [np.sqrt(f / (W.shape[0] + W.shape[1])) for f, W in zip((2.0, 6.0, 6.0), Ws)]
    assert all(np.abs(W).max() <= r for W, r in zip(Ws, bounds))
    # The first layer's draws are those of a shared factor 2, the second's are not.
    same, _ = net.unpack(net.init(np.random.RandomState(0), factor=2.0))
    np.testing.assert_array_equal(Ws[0], same[0])
    assert not np.array_equal(Ws[1], same[1])


# ------------------------------------------------------------------- dropout


def _masks(net, rows, rng):
    """Fixed inverted-dropout masks for every hidden layer with a rate."""
    return [
        (rng.uniform(size=(rows, n)) >= p) / (1 - p) if p > 0 else None
        for p, n in zip(net.dropout, net.sizes[1:-1])
    ]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["log_loss", "squared_error", "huber"])
@pytest.mark.parametrize("weighted", [False, True])
def test_dropout_gradient_with_fixed_masks_matches_finite_differences(activation, loss, weighted):
    X, Y = _problem(loss)
    w = np.random.RandomState(1).uniform(0.2, 3.0, size=len(X)) if weighted else None
    net = MLP((4, 5, 3, 3), activation, loss, dropout=(0.5, 0.3))
    theta = net.init(np.random.RandomState(2))
    masks = _masks(net, len(X), np.random.RandomState(3))
    assert all((M == 0).any() for M in masks)  # units really dropped
    ws = net.workspace(len(X), masks=masks)
    net.loss_grad(theta, X, Y, w, 0.2, ws)
    h, numeric = 1e-6, np.empty_like(theta)
    check = net.workspace(len(X), masks=masks)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = h
        up = net.loss_grad(theta + step, X, Y, w, 0.2, check)
        numeric[i] = (up - net.loss_grad(theta - step, X, Y, w, 0.2, check)) / (2 * h)
    np.testing.assert_allclose(ws.grad, numeric, rtol=1e-5, atol=1e-8)


def test_dropout_on_some_layers_only():
    net = MLP((4, 5, 3, 3), "tanh", "squared_error", dropout=(0.0, 0.5))
    ws = net.workspace(9, rng=np.random.RandomState(0))
    assert ws.dropout.buffers[0] is None and ws.dropout.buffers[1].shape == (9, 3)
    masks = ws.dropout.draw(9)
    assert masks[0] is None and set(np.unique(masks[1])) <= {0.0, 2.0}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masks_of_ones_give_the_gradient_without_dropout(dtype):
    X, Y = _problem("log_loss")
    X, Y = X.astype(dtype), Y.astype(dtype)
    plain = MLP((4, 5, 3, 3), "gelu", "log_loss", dtype)
    dropped = MLP((4, 5, 3, 3), "gelu", "log_loss", dtype, dropout=0.5)
    theta = plain.init(np.random.RandomState(0))
    ones = [np.ones((len(X), n), dtype) for n in (5, 3)]
    a, b = plain.workspace(len(X)), dropped.workspace(len(X), masks=ones)
    assert plain.loss_grad(theta, X, Y, None, 0.1, a) == dropped.loss_grad(
        theta, X, Y, None, 0.1, b
    )
    np.testing.assert_array_equal(a.grad, b.grad)


def test_dropout_gradient_float32_agrees_with_float64():
    X, Y = _problem("squared_error")
    grads = []
    for dt in (np.float32, np.float64):
        net = MLP((4, 5, 3, 3), ("silu", "relu"), "squared_error", dt, dropout=0.4)
        theta = net.init(np.random.RandomState(0))
        ws = net.workspace(len(X), masks=_masks(net, len(X), np.random.RandomState(3)))
        net.loss_grad(theta, X.astype(dt), Y.astype(dt), None, 0.1, ws)
        assert ws.grad.dtype == dt
        grads.append(ws.grad)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make_rng", [np.random.RandomState, np.random.default_rng])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_masks_are_reproducible_and_inverted(make_rng, dtype):
    net = MLP((4, 300, 200, 1), "relu", "squared_error", dtype, dropout=(0.2, 0.5))
    first = net.workspace(100, rng=make_rng(0)).dropout
    masks = [M.copy() for M in first.draw(100)]  # draw reuses its buffers
    again = net.workspace(100, rng=make_rng(0)).dropout.draw(100)
    other = net.workspace(100, rng=make_rng(1)).dropout.draw(100)
    for M, rate, same, different in zip(masks, (0.2, 0.5), again, other):
        assert M.dtype == dtype
        np.testing.assert_array_equal(M, same)
        assert not np.array_equal(M, different)
        np.testing.assert_allclose(np.unique(M), [0.0, 1 / (1 - rate)], rtol=1e-4)
        assert (M == 0).mean() == pytest.approx(rate, abs=0.01)
        assert M.mean() == pytest.approx(1.0, abs=0.02)  # inverted: expectation kept
    assert not np.array_equal(first.draw(100)[1], masks[1])  # fresh masks every batch


def test_training_with_dropout_draws_masks_from_the_callers_rng():
    X, Y = _problem("squared_error", n=40)
    net = MLP((4, 8, 3), "tanh", "squared_error", dropout=0.5)
    theta = net.init(np.random.RandomState(0))
    grads = []
    for seed in (0, 0, 1):
        ws = net.workspace(len(X), rng=np.random.RandomState(seed))
        net.loss_grad(theta, X, Y, None, 0.0, ws)
        grads.append(ws.grad.copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    assert not np.allclose(grads[0], grads[2])


def test_prediction_ignores_dropout():
    X, _ = _problem("log_loss")
    plain = MLP((4, 5, 3, 3), "relu", "log_loss")
    dropped = MLP((4, 5, 3, 3), "relu", "log_loss", dropout=0.9)
    Ws, bs = plain.unpack(plain.init(np.random.RandomState(0)))
    np.testing.assert_array_equal(dropped.predict(Ws, bs, X), plain.predict(Ws, bs, X))
    assert dropped.workspace(len(X), rng=np.random.RandomState(0)).dropout is not None


@pytest.mark.parametrize(
    "dropout, match",
    [(1.0, "in \\[0, 1\\)"), ((0.1, -0.1), "in \\[0, 1\\)"), ((0.1,), "dropout has 1 entries")],
)
def test_bad_dropout_rates_are_refused(dropout, match):
    with pytest.raises(ValueError, match=match):
        MLP((4, 5, 3, 3), "relu", "squared_error", dropout=dropout)


def test_dropout_needs_an_rng_or_fixed_masks():
    net = MLP((4, 5, 3, 3), "relu", "squared_error", dropout=0.5)
    with pytest.raises(ValueError, match="pass rng="):
        net.workspace(9)
    with pytest.raises(ValueError, match="masks must be None or arrays of shapes"):
        net.workspace(9, masks=[np.ones((9, 5)), np.ones((9, 4))])
    assert MLP((4, 5, 3), "relu", "squared_error").workspace(9).dropout is None


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_initial_weights_follow_the_activations_init_factor(activation):
    # scikit-learn's Glorot bound sqrt(factor / (n_in + n_out)), factor 2 for
    # logistic and 6 otherwise, comes from the activation's registry entry.
    net = MLP((4, 6, 5, 3), activation, "log_loss")
    factor = ACTIVATIONS[activation].init_factor
    assert factor == (2.0 if activation == "logistic" else 6.0)
    default = net.init(np.random.RandomState(0))
    np.testing.assert_array_equal(default, net.init(np.random.RandomState(0), factor))
    bound = np.sqrt(factor / (4 + 6))
    assert 0.8 * bound < np.abs(net.unpack(default)[0][0]).max() <= bound


def test_per_layer_init_factors_and_the_output_layer():
    # Each weight layer takes the factor of the activation it feeds; the
    # output layer the last hidden layer's; a linear model identity's (6).
    net = MLP((4, 6, 5, 3), ("logistic", "relu"), "log_loss")
    expected = net.init(np.random.RandomState(0), [2.0, 6.0, 6.0])
    np.testing.assert_array_equal(net.init(np.random.RandomState(0)), expected)
    net = MLP((4, 6, 5, 3), ("relu", "logistic"), "log_loss")
    expected = net.init(np.random.RandomState(0), [6.0, 2.0, 2.0])
    np.testing.assert_array_equal(net.init(np.random.RandomState(0)), expected)
    linear = MLP((4, 3), "logistic", "log_loss")  # scikit-learn: the shared activation's
    np.testing.assert_array_equal(
        linear.init(np.random.RandomState(0)), linear.init(np.random.RandomState(0), 2.0)
    )


def test_predictions_are_fresh_arrays_and_short_batches_use_the_full_gradient():
    X, Y = _problem("log_loss", n=9)
    net = MLP((4, 6, 3), "relu", "log_loss")
    theta = net.init(np.random.RandomState(0))
    Ws, bs = net.unpack(theta)
    first, second = net.predict_logits(Ws, bs, X), net.predict_logits(Ws, bs, X[:5])
    assert not np.shares_memory(first, second)
    np.testing.assert_allclose(second, first[:5])
    # A workspace sized for 9 rows, fed 5 (a run's last batch), gives the exact gradient.
    big, exact = net.workspace(9), net.workspace(5)
    net.loss_grad(theta, X, Y, None, 0.1, big)
    a = net.loss_grad(theta, X[:5], Y[:5], None, 0.1, big)
    b = net.loss_grad(theta, X[:5], Y[:5], None, 0.1, exact)
    assert a == b
    np.testing.assert_array_equal(big.grad, exact.grad)
