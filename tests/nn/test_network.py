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
