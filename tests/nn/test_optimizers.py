import numpy as np
import pytest

from sknet.nn.optimizers import (
    SGD,
    Adam,
    AdamW,
    ClipGradNorm,
    clip_grad_norm,
    global_norm,
)

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
@pytest.mark.parametrize(
    "opt", [SGD(), Adam(), AdamW(0.1, n_weights=2, lr_init=0.2), ClipGradNorm(Adam(), 0.5)]
)
def test_updates_keep_dtype(opt, dtype):
    theta = THETA.astype(dtype)
    state = opt.init(theta)
    opt.update(theta, GRAD.astype(dtype), state, 0.1)
    assert theta.dtype == dtype and all(
        a.dtype == dtype for a in state.values() if isinstance(a, np.ndarray)
    )


def _paper_adamw_step(theta, g, m, v, t, lr_init, eta, decay, b1=0.9, b2=0.999, eps=1e-8):
    """Loshchilov & Hutter (2019), Algorithm 2, lines 6-12, written as printed."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return theta - eta * (lr_init * m_hat / (np.sqrt(v_hat) + eps) + decay * theta), m, v


@pytest.mark.parametrize("lr", [0.01, 0.004])  # schedule multiplier eta = 1 and 0.4
def test_adamw_steps_follow_the_paper_and_spare_the_biases(lr):
    lr_init, decay, n_weights = 0.01, 0.3, 2  # theta = two weights, then one bias
    opt, theta = AdamW(decay, n_weights=n_weights, lr_init=lr_init), THETA.copy()
    state = opt.init(theta)
    eta = lr / lr_init
    weights, m, v = THETA[:n_weights], np.zeros(n_weights), np.zeros(n_weights)
    for t, g in enumerate([GRAD, 2 * GRAD - 1], start=1):
        opt.update(theta, g.copy(), state, lr)
        weights, m, v = _paper_adamw_step(weights, g[:n_weights], m, v, t, lr_init, eta, decay)
        np.testing.assert_allclose(theta[:n_weights], weights, rtol=1e-7)
    # The bias takes plain Adam steps.
    bias, adam = THETA.copy(), Adam()
    adam_state = adam.init(bias)
    for g in [GRAD, 2 * GRAD - 1]:
        adam.update(bias, g.copy(), adam_state, lr)
    assert theta[-1] == bias[-1]
    np.testing.assert_array_equal(state["m"], adam_state["m"])


def test_adamw_without_decay_is_adam_bitwise():
    a, b = THETA.copy(), THETA.copy()
    adam, adamw = Adam(), AdamW(0.0, n_weights=2, lr_init=0.01)
    sa, sb = adam.init(a), adamw.init(b)
    for g in [GRAD, -GRAD, 3 * GRAD]:
        adam.update(a, g.copy(), sa, 0.01)
        adamw.update(b, g.copy(), sb, 0.01)
    np.testing.assert_array_equal(a, b)


def test_adamw_decay_is_decoupled_where_the_l2_penalty_is_normalised_away():
    # Zero loss gradient: AdamW shrinks each weight by (1 - decay) per step,
    # while Adam on the L2 gradient decay * W moves it by about lr per step,
    # whatever the decay (Adam divides the penalty's gradient by its own scale).
    lr, steps = 0.01, 5
    moves = {}
    for decay in (1e-3, 1e-1):
        adamw, adam, w_decoupled, w_l2 = AdamW(decay), Adam(), THETA.copy(), THETA.copy()
        s_decoupled, s_l2 = adamw.init(w_decoupled), adam.init(w_l2)
        for _ in range(steps):
            adamw.update(w_decoupled, np.zeros(3), s_decoupled, lr)
            adam.update(w_l2, decay * w_l2, s_l2, lr)
        np.testing.assert_allclose(w_decoupled, THETA * (1 - decay) ** steps)
        moves[decay] = THETA - w_l2
    np.testing.assert_allclose(moves[1e-3], steps * lr * np.sign(THETA), rtol=1e-2)
    np.testing.assert_allclose(moves[1e-1], moves[1e-3], rtol=1e-2)


def test_adamw_refuses_a_negative_decay():
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        AdamW(-0.1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_norm_does_not_overflow_in_float32(dtype):
    grad = np.array([3e20, -4e20, 0.0], dtype=dtype)
    with np.errstate(over="ignore"):  # the first, unscaled attempt may overflow
        assert global_norm(grad) == pytest.approx(5e20, rel=1e-6)
    assert global_norm(np.array([3.0, 4.0], dtype=dtype)) == pytest.approx(5.0)
    assert np.isnan(global_norm(np.array([np.nan, 1.0], dtype=dtype)))


@pytest.mark.parametrize("make", [lambda: SGD(momentum=0.0, nesterov=False), Adam])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clipping_rescales_large_gradients_to_max_norm(make, dtype):
    grad = np.array([30.0, -40.0, 0.0], dtype=dtype)  # norm 50
    clipped, plain = THETA.astype(dtype), THETA.astype(dtype)
    opt, reference = ClipGradNorm(make(), max_norm=5.0), make()
    state = opt.init(clipped)
    assert state.keys() == reference.init(plain).keys()  # the wrapped optimizer's state
    opt.update(clipped, grad.copy(), state, 0.1)
    reference.update(plain, grad / 10, reference.init(plain), 0.1)
    np.testing.assert_allclose(clipped, plain, rtol=1e-6)


@pytest.mark.parametrize("make", [SGD, Adam])
def test_clipping_leaves_small_gradients_alone_bitwise(make):
    clipped, plain = THETA.copy(), THETA.copy()
    opt, reference = ClipGradNorm(make(), max_norm=10.0), make()
    s_clipped, s_plain = opt.init(clipped), reference.init(plain)
    for g in [GRAD, -GRAD, 2 * GRAD]:  # norms about 2 to 4
        opt.update(clipped, g.copy(), s_clipped, 0.1)
        reference.update(plain, g.copy(), s_plain, 0.1)
    np.testing.assert_array_equal(clipped, plain)


def test_clip_grad_norm_none_is_the_optimizer_itself():
    opt = SGD()
    assert clip_grad_norm(opt, None) is opt
    wrapped = clip_grad_norm(opt, 2.0)
    assert isinstance(wrapped, ClipGradNorm) and wrapped.optimizer is opt
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm(opt, 0.0)
