import numpy as np
import pytest

from sknet.nn import MLP
from sknet.nn.lbfgs import fit_lbfgs
from sknet.nn.training import Data, DivergenceError, EpochRecord


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 5))
    Y = X @ rng.normal(size=(5, 2)) + 0.1 * rng.normal(size=(n, 2))
    return Data(X, Y)


def _net(**kwargs):
    return MLP((5, 8, 2), "tanh", "squared_error", **kwargs)


class Hooks:
    """Records every call, as the minibatch loop's hooks receive them."""

    def __init__(self, stop_at=None, interrupt_at=None):
        self.calls, self.records, self.params = [], [], []
        self.stop_at, self.interrupt_at = stop_at, interrupt_at

    def epoch_begin(self, epoch):
        self.calls.append(("begin", epoch))

    def epoch_end(self, record, theta):
        self.calls.append(("end", record.epoch))
        self.records.append(record)
        self.params.append(np.array(theta))
        if record.epoch == self.interrupt_at:
            raise KeyboardInterrupt
        return record.epoch == self.stop_at


def test_lbfgs_fits_a_linear_model_exactly():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    Y = (X @ np.array([[1.0], [-2.0], [0.5]])) + 0.25
    net = MLP((3, 1), "identity", "squared_error")
    theta = net.init(rng)
    hooks = Hooks()
    result = fit_lbfgs(net, theta, Data(X, Y), 0.0, 200, 15000, 1e-10, hooks)
    Ws, bs = net.unpack(theta)
    np.testing.assert_allclose(Ws[0].ravel(), [1.0, -2.0, 0.5], atol=1e-5)
    assert bs[0][0] == pytest.approx(0.25, abs=1e-5)
    assert result.success and result.reason == "converged" and len(hooks.records) == result.nit


def test_iterations_report_through_the_minibatch_hooks():
    # Every iteration begins before its first evaluation and ends with an
    # EpochRecord (no rate) and the accepted iterate; nothing dangles.
    data, net = _data(), _net()
    theta = net.init(np.random.RandomState(0))
    hooks = Hooks()
    result = fit_lbfgs(net, theta, data, 0.0, 7, 15000, 1e-10, hooks)
    expected = [call for i in range(7) for call in (("begin", i), ("end", i + 1))]
    assert hooks.calls == expected and result.reason == "not_converged"
    assert all(isinstance(r, EpochRecord) and r.lr is None for r in hooks.records)
    assert [r.loss for r in hooks.records][-1] == result.fun
    np.testing.assert_array_equal(hooks.params[-1], theta)


def test_a_hook_stops_the_run_at_an_accepted_iterate():
    data, net = _data(), _net()
    theta = net.init(np.random.RandomState(0))
    hooks = Hooks(stop_at=3)
    result = fit_lbfgs(net, theta, data, 0.0, 100, 15000, 1e-10, hooks)
    assert result.reason == "callback" and result.nit == 3
    np.testing.assert_array_equal(theta, hooks.params[-1])


def test_lbfgs_interrupted_keeps_the_last_accepted_iterate():
    data, net = _data(), _net()
    theta = net.init(np.random.RandomState(0))
    hooks = Hooks(interrupt_at=3)
    result = fit_lbfgs(net, theta, data, 0.0, 100, 15000, 1e-10, hooks)
    curve = [r.loss for r in hooks.records]
    assert result.reason == "interrupted" and result.nit == 3 and result.fun == curve[-1]
    ws = net.workspace(data.n)
    assert net.loss_grad(theta, data.X, data.Y, None, 0.0, ws) == pytest.approx(curve[-1])


def test_lbfgs_refuses_dropout():
    data, net = _data(), _net(dropout=0.3)
    theta = net.init(np.random.RandomState(0))
    with pytest.raises(ValueError, match="L-BFGS needs a deterministic objective"):
        fit_lbfgs(net, theta, data, 0.0, 10, 100, 1e-4)


def test_divergence_raises_with_the_iteration():
    data, net = _data(), MLP((5, 8, 2), "relu", "squared_error")
    data.X = data.X * 1e200
    theta = net.init(np.random.RandomState(0))
    with pytest.raises(DivergenceError, match="L-BFGS diverged in its first iteration"):
        fit_lbfgs(net, theta, data, 0.0, 10, 100, 1e-4)
