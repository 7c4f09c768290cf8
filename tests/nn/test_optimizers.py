import numpy as np
import pytest

from sknet.nn.optimizers import SGD, Adam

THETA = np.array([1.0, -2.0, 0.5])
GRAD = np.array([0.3, -0.1, 2.0])


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_two_steps_closed_form(nesterov):
    opt, theta = SGD(momentum=0.9, nesterov=nesterov), THETA.copy()
    state = opt.init(theta)
    lr, v = 0.1, np.zeros(3)
    expected = THETA.copy()
    for _ in range(2):
        opt.update(theta, GRAD.copy(), state, lr)
        v = 0.9 * v - lr * GRAD
        expected = expected + (0.9 * v - lr * GRAD if nesterov else v)
    np.testing.assert_allclose(theta, expected)
    np.testing.assert_allclose(state["velocity"], v)
    assert state["step"] == 2


def test_sgd_without_momentum_is_plain_gradient_descent():
    opt, theta = SGD(momentum=0.0, nesterov=False), THETA.copy()
    opt.update(theta, GRAD.copy(), opt.init(theta), 0.5)
    np.testing.assert_allclose(theta, THETA - 0.5 * GRAD)


def test_adam_first_step_moves_each_parameter_by_lr():
    opt, theta = Adam(), THETA.copy()
    opt.update(theta, GRAD.copy(), opt.init(theta), 0.01)
    # After bias correction m/sqrt(v) = sign(g) on the first step.
    np.testing.assert_allclose(theta, THETA - 0.01 * np.sign(GRAD), rtol=1e-6)


def test_adam_two_steps_closed_form():
    b1, b2, eps, lr = 0.8, 0.9, 1e-8, 0.05
    opt, theta = Adam(b1, b2, eps), THETA.copy()
    state = opt.init(theta)
    grads = [GRAD, 2 * GRAD - 1]
    m, v, expected = np.zeros(3), np.zeros(3), THETA.copy()
    for t, g in enumerate(grads, start=1):
        opt.update(theta, g.copy(), state, lr)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        expected = expected - step * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(theta, expected)
    assert state["step"] == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("opt", [SGD(), Adam()])
def test_updates_keep_dtype(opt, dtype):
    theta = THETA.astype(dtype)
    state = opt.init(theta)
    opt.update(theta, GRAD.astype(dtype), state, 0.1)
    assert theta.dtype == dtype and all(
        a.dtype == dtype for a in state.values() if isinstance(a, np.ndarray)
    )
