import functools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import norm
from sklearn.linear_model import QuantileRegressor

from sknet.nn import MLP, losses, training
from sknet.nn.lbfgs import fit_lbfgs
from sknet.nn.optimizers import SGD, Adam, AdamW, clip_grad_norm
from sknet.nn.schedules import Adaptive, Constant, Cosine
from sknet.nn.training import (
    Data,
    DivergenceError,
    EpochRecord,
    Settings,
    State,
    fit_minibatch,
    run_epoch,
)


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    Y = X @ rng.normal(size=(5, 2)) + 0.1 * rng.normal(size=(n, 2))
    return Data(X, Y)


def _net():
    return MLP((5, 8, 2), "tanh", "squared_error")


def test_one_full_batch_epoch_is_one_gradient_step():
    data, net = _data(), _net()
    theta = net.init(np.random.RandomState(0))
    ws = net.workspace(data.n)
    expected = theta.copy()
    net.loss_grad(expected, data.X, data.Y, None, 0.0, ws)
    expected -= 0.1 * ws.grad
    opt = SGD(momentum=0.0, nesterov=False)
    state = State(lr=0.1, optimizer=opt.init(theta))
    settings = Settings(batch_size=data.n, max_epochs=1, lr0=0.1)
    run_epoch(net, theta, data, None, settings, opt, state, net.workspace(data.n))
    np.testing.assert_allclose(theta, expected)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_shuffled_epoch_visits_rows_in_the_given_order(weighted, sparse):
    data, net = _data(n=40), _net()
    if weighted:
        data.w = np.random.RandomState(1).uniform(0.5, 2.0, size=40)
    if sparse:
        data.X = sp.csr_matrix(data.X)
    theta0 = net.init(np.random.RandomState(0))
    order = np.random.RandomState(3).permutation(40)
    permuted = Data(data.X[order], data.Y[order], None if data.w is None else data.w[order])
    results = []
    for d, o in [(data, order), (permuted, None)]:
        theta, opt = theta0.copy(), Adam()
        state = State(lr=0.01, optimizer=opt.init(theta))
        settings = Settings(batch_size=7, max_epochs=1, lr0=0.01)
        loss = run_epoch(net, theta, d, o, settings, opt, state, net.workspace(7))
        results.append((theta, loss))
    np.testing.assert_allclose(results[0][0], results[1][0])
    assert results[0][1] == pytest.approx(results[1][1])


def test_minibatch_training_reduces_the_loss():
    data, net = _data(), _net()
    theta, opt = net.init(np.random.RandomState(0)), Adam()
    state = State(lr=0.01, optimizer=opt.init(theta))
    settings = Settings(batch_size=16, max_epochs=60, lr0=0.01, tol=0.0, n_iter_no_change=1000)
    reason = fit_minibatch(
        net, theta, data, settings, opt, Constant(), state, np.random.RandomState(0)
    )
    assert reason == "max_epochs"
    assert len(state.loss_curve) == 60 and state.samples_seen == 60 * data.n
    assert state.loss_curve[-1] < 0.2 * state.loss_curve[0]


def test_plateau_stops_with_constant_and_decays_with_adaptive():
    data, net = _data(), _net()
    for schedule, expect_lr_drop in [(Constant(), False), (Adaptive(), True)]:
        theta, opt = net.init(np.random.RandomState(0)), SGD()
        state = State(lr=1e-4, optimizer=opt.init(theta))
        # tol=10: no epoch improves the loss by that much.
        settings = Settings(batch_size=32, max_epochs=30, lr0=1e-4, tol=10.0, n_iter_no_change=2)
        reason = fit_minibatch(
            net, theta, data, settings, opt, schedule, state, np.random.RandomState(0)
        )
        assert reason == "converged"
        assert (state.lr < 1e-4) == expect_lr_drop


def test_a_validation_plateau_stops_training():
    # The caller's validate(theta) -> (score, loss, improved) replaces the
    # training loss as what the stopping policy watches.
    data, net = _data(), _net()
    theta, opt = net.init(np.random.RandomState(0)), Adam()
    state = State(lr=0.01, optimizer=opt.init(theta))
    improved = iter([True, True, False, False, False, False, True, True])
    seen = []

    def validate(th):
        seen.append(th.copy())
        return 0.5, 0.25, next(improved)

    settings = Settings(batch_size=32, max_epochs=8, lr0=0.01, tol=0.0, n_iter_no_change=3)
    reason = fit_minibatch(
        net,
        theta,
        data,
        settings,
        opt,
        Constant(),
        state,
        np.random.RandomState(0),
        validate=validate,
    )
    # Stops once more than n_iter_no_change=3 epochs failed to improve.
    assert reason == "converged" and state.epochs == len(seen) == 6
    np.testing.assert_array_equal(seen[-1], theta)  # validate saw the epoch's parameters
    assert state.best_loss == np.inf  # the training loss was not what was watched


def test_hooks_can_stop_training():
    class StopAtTwo:
        def epoch_begin(self, epoch):
            pass

        def epoch_end(self, record, theta):
            return record.epoch == 2

    data, net = _data(), _net()
    theta, opt = net.init(np.random.RandomState(0)), Adam()
    state = State(lr=0.01, optimizer=opt.init(theta))
    settings = Settings(batch_size=32, max_epochs=10, lr0=0.01)
    reason = fit_minibatch(
        net,
        theta,
        data,
        settings,
        opt,
        Constant(),
        state,
        np.random.RandomState(0),
        hooks=StopAtTwo(),
    )
    assert reason == "callback" and state.epochs == 2


def test_divergence_raises():
    data, net = _data(), _net()
    data.X *= 1e30
    theta, opt = net.init(np.random.RandomState(0)), SGD()
    state = State(lr=10.0, optimizer=opt.init(theta))
    settings = Settings(batch_size=32, max_epochs=200, lr0=10.0, tol=0.0, n_iter_no_change=1000)
    with pytest.raises(DivergenceError, match="diverged"):
        fit_minibatch(net, theta, data, settings, opt, Constant(), state, np.random.RandomState(0))


def _heteroscedastic(n, seed):
    """y = 2x + (0.5 + x) * N(0, 1): the q-quantile is 2x + (0.5 + x) * z_q, linear in x."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 1, size=(n, 1))
    return X, 2 * X + (0.5 + X) * rng.normal(size=(n, 1))


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_quantile_loss_recovers_known_quantiles(q, solver):
    X, Y = _heteroscedastic(4000, seed=0)
    net = MLP((1, 1), "identity", losses.quantile(q))
    theta = net.init(np.random.RandomState(0))
    if solver == "lbfgs":
        fit_lbfgs(net, theta, Data(X, Y), 0.0, 500, 15000, 1e-8)
    else:
        opt = Adam()
        state = State(lr=0.05, optimizer=opt.init(theta))
        settings = Settings(batch_size=100, max_epochs=30, lr0=0.05, tol=0.0, n_iter_no_change=99)
        rng = np.random.RandomState(0)
        fit_minibatch(net, theta, Data(X, Y), settings, opt, Cosine(30), state, rng)
    X_new, Y_new = _heteroscedastic(20000, seed=1)
    Ws, bs = net.unpack(theta)
    assert (Y_new <= net.predict(Ws, bs, X_new)).mean() == pytest.approx(q, abs=0.02)
    # Close to the population line, and to the sample's exact minimiser (a linear program).
    z = norm.ppf(q)
    np.testing.assert_allclose([Ws[0][0, 0], bs[0][0]], [2 + z, 0.5 * z], atol=0.2)
    np.testing.assert_allclose([Ws[0][0, 0], bs[0][0]], _exact_quantile_line(q), atol=0.03)


@functools.cache
def _exact_quantile_line(q):
    X, Y = _heteroscedastic(4000, seed=0)
    exact = QuantileRegressor(quantile=q, alpha=0.0, solver="highs").fit(X, Y.ravel())
    return exact.coef_[0], exact.intercept_


def test_huber_loss_resists_outliers_that_pull_squared_error():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 1))
    Y = 3 * X + 0.1 * rng.normal(size=(400, 1))
    Y[:40] += 50.0  # 10% gross outliers
    slopes = {}
    for loss in ("squared_error", losses.huber(delta=1.0)):
        net = MLP((1, 1), "identity", loss)
        theta = net.init(np.random.RandomState(0))
        fit_lbfgs(net, theta, Data(X, Y), 0.0, 500, 15000, 1e-10)
        slopes[net.loss.name] = net.unpack(theta)[0][0][0, 0]
    assert slopes["huber"] == pytest.approx(3.0, abs=0.1)
    assert abs(slopes["squared_error"] - 3.0) > 0.3


def _dropout_fit(seed, epochs=20):
    data = _data()
    net = MLP((5, 16, 16, 2), "relu", "squared_error", dropout=(0.2, 0.5))
    theta, opt = net.init(np.random.RandomState(0)), Adam()
    state = State(lr=0.01, optimizer=opt.init(theta))
    settings = Settings(batch_size=16, max_epochs=epochs, lr0=0.01, tol=0.0, n_iter_no_change=99)
    rng = np.random.RandomState(seed)
    fit_minibatch(net, theta, data, settings, opt, Constant(), state, rng)
    return net, theta, state


def test_dropout_training_is_reproducible_from_the_rng_and_learns():
    net, theta, state = _dropout_fit(seed=0)
    _, same, _ = _dropout_fit(seed=0)
    _, other, _ = _dropout_fit(seed=1)
    np.testing.assert_array_equal(theta, same)
    assert not np.allclose(theta, other)
    assert state.loss_curve[-1] < 0.5 * state.loss_curve[0]
    # Without dropout the fitted network's training loss is below the dropped one.
    data = _data()
    Ws, bs = net.unpack(theta)
    assert net.mean_loss(Ws, bs, data.X, data.Y) < state.loss_curve[-1]


@pytest.mark.parametrize("max_norm", [None, 1.0])
def test_gradient_clipping_keeps_sgd_from_diverging_on_outlying_rows(max_norm):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    Y = X @ rng.normal(size=(5, 1)) + 0.1 * rng.normal(size=(200, 1))
    X[:3] *= 300  # three rows whose gradients explode
    net = MLP((5, 16, 1), "relu", "squared_error")
    theta, opt = net.init(np.random.RandomState(0)), clip_grad_norm(SGD(), max_norm)
    state = State(lr=0.01, optimizer=opt.init(theta))
    settings = Settings(batch_size=20, max_epochs=30, lr0=0.01, tol=0.0, n_iter_no_change=99)
    args = (net, theta, Data(X, Y), settings, opt, Constant(), state, np.random.RandomState(0))
    if max_norm is None:
        with pytest.raises(DivergenceError):
            fit_minibatch(*args)
    else:
        fit_minibatch(*args)
        assert state.loss_curve[-1] < 0.1 * state.loss_curve[0]


def test_adamw_trains_with_smaller_weights_than_adam():
    data, net = _data(), _net()
    norms = {}
    for name, opt in [("adam", Adam()), ("adamw", AdamW(0.01, net.n_weights, lr_init=0.01))]:
        theta = net.init(np.random.RandomState(0))
        state = State(lr=0.01, optimizer=opt.init(theta))
        settings = Settings(batch_size=16, max_epochs=40, lr0=0.01, tol=0.0, n_iter_no_change=99)
        fit_minibatch(net, theta, data, settings, opt, Constant(), state, np.random.RandomState(0))
        assert state.loss_curve[-1] < 0.3 * state.loss_curve[0]
        norms[name] = np.linalg.norm(theta[: net.n_weights])
    assert norms["adamw"] < 0.9 * norms["adam"]


def test_a_batch_without_weight_takes_no_step():
    data, net = _data(n=40), _net()
    data.w = np.r_[np.zeros(20), np.ones(20)]
    theta, opt = net.init(np.random.RandomState(0)), SGD(momentum=0.0)
    expected = theta.copy()
    state = State(lr=0.1, optimizer=opt.init(theta))
    settings = Settings(batch_size=20, max_epochs=1, lr0=0.1)
    loss = run_epoch(net, theta, data, None, settings, opt, state, net.workspace(20))
    rest = Data(data.X[20:], data.Y[20:], data.w[20:])
    state = State(lr=0.1, optimizer=opt.init(expected))
    assert loss == run_epoch(net, expected, rest, None, settings, opt, state, net.workspace(20))
    np.testing.assert_array_equal(theta, expected)


def _fit(data, net, hooks=None, validate=None, max_epochs=5, lr=0.01, state=None):
    theta, opt = net.init(np.random.RandomState(0)), SGD()
    state = state or State(lr=lr, optimizer=opt.init(theta))
    settings = Settings(batch_size=32, max_epochs=max_epochs, lr0=lr, tol=0.0)
    rng = np.random.RandomState(0)
    reason = fit_minibatch(net, theta, data, settings, opt, Constant(), state, rng, validate, hooks)
    return reason, theta, state


def test_ctrl_c_stops_with_the_epochs_completed():
    class InterruptThird:
        def epoch_begin(self, epoch):
            if epoch == 2:
                raise KeyboardInterrupt

        def epoch_end(self, record, theta):
            return False

    reason, _, state = _fit(_data(), _net(), hooks=InterruptThird())
    assert reason == "interrupted" and state.epochs == len(state.loss_curve) == 2


def test_a_non_finite_validation_loss_raises_and_leaves_the_epoch_unrecorded():
    data, net = _data(), _net()
    losses = iter([0.5, 0.4, np.nan])
    with pytest.raises(DivergenceError, match="epoch 3: the validation loss is nan"):
        _fit(data, net, validate=lambda theta: (1.0, next(losses), True))
    state = State(lr=0.01, optimizer=SGD().init(net.init(np.random.RandomState(0))))
    with pytest.raises(DivergenceError):
        _fit(data, net, validate=lambda theta: (1.0, np.nan, True), state=state)
    assert state.epochs == 0 and state.loss_curve == []


def test_hooks_get_the_record_and_the_parameters_of_every_epoch():
    class Keep:
        def __init__(self):
            self.begun, self.ended = [], []

        def epoch_begin(self, epoch):
            self.begun.append(epoch)

        def epoch_end(self, record, theta):
            self.ended.append((record, theta.copy()))
            return False

    hooks = Keep()
    _, theta, state = _fit(_data(), _net(), hooks=hooks, max_epochs=3)
    assert hooks.begun == [0, 1, 2]
    assert [r.epoch for r, _ in hooks.ended] == [1, 2, 3]
    assert [r.loss for r, _ in hooks.ended] == state.loss_curve
    assert all(isinstance(r, EpochRecord) and r.lr == 0.01 for r, _ in hooks.ended)
    np.testing.assert_array_equal(hooks.ended[-1][1], theta)


def test_shuffled_epochs_permute_the_previous_order(monkeypatch):
    # scikit-learn's sequence: epoch k visits order_k = order_{k-1}[perm_k].
    import sknet.nn.training as training

    orders = []

    def spy(net, theta, data, order, *args):
        orders.append(order.copy())
        return run_epoch(net, theta, data, order, *args)

    monkeypatch.setattr(training, "run_epoch", spy)
    _fit(_data(n=10), _net(), max_epochs=2)
    rng = np.random.RandomState(0)  # the generator _fit shuffles with
    first = rng.permutation(10)
    np.testing.assert_array_equal(orders[0], first)
    np.testing.assert_array_equal(orders[1], first[rng.permutation(10)])


def test_restart_starts_the_schedule_again_and_keeps_the_rest():
    state = State(lr=1e-5, optimizer={"step": 7}, epochs=12)
    state.restart(0.1, "cosine")
    assert (state.lr, state.cycle_start, state.schedule) == (0.1, 12, "cosine")
    assert state.optimizer == {"step": 7} and state.epochs == 12


def test_shuffling_keeps_one_order_array_and_permutes_it_as_scikit_learn(monkeypatch):
    # Each epoch permutes the previous order (scikit-learn's sequence:
    # order[rng.permutation(n)]), in place: a fit holds one array of n
    # indices, not three (the order, the permutation and the new order).
    import tracemalloc

    n = 100_000
    rng = np.random.RandomState(0)
    data = Data(rng.normal(size=(n, 1)), rng.normal(size=(n, 1)))
    net = MLP((1, 2, 1), "relu", "squared_error")
    settings = Settings(batch_size=100, max_epochs=3, lr0=0.01, tol=0.0)

    def fit():
        theta, opt = net.init(np.random.RandomState(0)), SGD()
        state = State(lr=0.01, optimizer=opt.init(theta))
        fit_minibatch(net, theta, data, settings, opt, Constant(), state, np.random.RandomState(7))

    visited = []

    def spy(net, theta, data, order, *args):
        visited.append(order.copy())
        return run_epoch(net, theta, data, order, *args)

    with monkeypatch.context() as patch:
        patch.setattr(training, "run_epoch", spy)
        fit()
    expected, twin = np.arange(n), np.random.RandomState(7)
    for order in visited:
        expected = expected[twin.permutation(n)]
        np.testing.assert_array_equal(order, expected)
    tracemalloc.start()
    try:
        fit()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * 8 * n  # one array of n indices and small batch buffers
