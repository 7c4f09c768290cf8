"""strategy='gradient' is exact: L-BFGS gives the local fit, sgd/adam take the local steps."""

import dask.array as da
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.utils import check_random_state

from sknet import MLPClassifier, MLPRegressor
from sknet._estimators._solvers import SOLVERS
from sknet.dask import DataParallel
from sknet.nn import MLP, optimizers

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Rows per partition: unequal, one of them empty.
UNEQUAL = (120, 0, 230, 150)


def chunked(a, rows=UNEQUAL):
    """``a`` as a dask array cut into row blocks of the given sizes."""
    return da.from_array(a, chunks=(rows, *a.shape[1:]))


def assert_same_fit(fitted, local, rtol=1e-8, atol=1e-6):
    assert fitted.loss_ == pytest.approx(local.loss_, rel=rtol)
    assert fitted.n_iter_ == local.n_iter_
    assert_allclose(fitted.loss_curve_, local.loss_curve_, rtol=rtol)
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, local.coefs_ + local.intercepts_):
        assert a.dtype == b.dtype
        assert_allclose(a, b, atol=atol, rtol=0)


def test_lbfgs_classifier_is_the_local_fit_with_weights(client, blobs):
    X, y = blobs
    w = np.random.RandomState(1).uniform(0.2, 3.0, size=len(y))
    net = MLPClassifier(
        (7,), solver="lbfgs", alpha=1e-2, max_iter=40, class_weight="balanced", random_state=0
    )
    local = clone(net).fit(X, y, sample_weight=w)
    model = DataParallel(net).fit(chunked(X), chunked(y), sample_weight=chunked(w))
    assert_same_fit(model.estimator_, local)
    assert_allclose(model.predict_proba(X), local.predict_proba(X), atol=1e-6)


def test_lbfgs_multioutput_regressor_is_the_local_fit(client):
    X, y = make_regression(n_samples=500, n_features=6, n_targets=2, random_state=0)
    y = y / y.std(axis=0)
    net = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=30, random_state=3)
    local = clone(net).fit(X, y)
    model = DataParallel(net).fit(chunked(X), chunked(y))
    assert_same_fit(model.estimator_, local)


def test_streamed_partitions_give_the_persisted_fit(client, blobs):
    X, y = blobs
    net = MLPClassifier((5,), solver="lbfgs", max_iter=8, random_state=0)
    kept = DataParallel(net).fit(chunked(X), chunked(y))
    streamed = DataParallel(net, persist=False).fit(chunked(X), chunked(y))
    assert_same_fit(streamed.estimator_, kept.estimator_, rtol=0, atol=0)


def test_float32_stays_float32(client, blobs):
    X, y = blobs
    X = X.astype(np.float32)
    net = MLPClassifier((5,), solver="lbfgs", max_iter=20, random_state=0)
    local = clone(net).fit(X, y)
    model = DataParallel(net).fit(chunked(X), chunked(y))
    assert model.estimator_.coefs_[0].dtype == np.float32
    assert model.estimator_.loss_ == pytest.approx(local.loss_, rel=1e-3)


@pytest.mark.parametrize("solver", [name for name, s in SOLVERS.items() if s.stochastic])
def test_full_batch_epochs_are_the_local_steps(client, blobs, solver):
    X, y = blobs
    net = MLPClassifier(
        (6,),
        solver=solver,
        batch_size=len(y),
        shuffle=False,
        learning_rate_init=0.05,
        max_iter=4,
        random_state=0,
    )
    local = clone(net).fit(X, y)
    model = DataParallel(net).fit(chunked(X), chunked(y))
    assert_same_fit(model.estimator_, local, rtol=1e-10, atol=1e-10)
    assert model.estimator_.t_ == local.t_


def test_each_step_is_one_minibatch_spread_over_the_partitions(client):
    """Step s takes rows [n_p*s/S, n_p*(s+1)/S) of every partition p; one update."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(300, 4)), rng.randint(3, size=300)
    rows, steps = (100, 0, 200), 5
    net = MLPClassifier(
        (5,), solver="sgd", batch_size=60, shuffle=False, learning_rate_init=0.1, max_iter=1
    )
    model = DataParallel(net.set_params(random_state=0)).fit(chunked(X, rows), chunked(y, rows))

    core = MLP((4, 5, 3), "relu", "log_loss")
    theta = core.init(check_random_state(0), 6.0)
    sgd = optimizers.SGD(0.9, True)
    state, ws = sgd.init(theta), core.workspace(60)
    Y = np.eye(3)[y]
    starts = np.cumsum((0, *rows))
    losses = []
    for s in range(steps):
        batch = np.concatenate(
            [np.arange(a + n * s // steps, a + n * (s + 1) // steps) for a, n in zip(starts, rows)]
        )
        losses.append(core.loss_grad(theta, X[batch], Y[batch], None, net.alpha, ws))
        sgd.update(theta, ws.grad, state, 0.1)
    Ws, bs = core.unpack(theta)
    for a, b in zip(model.estimator_.coefs_ + model.estimator_.intercepts_, Ws + bs):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert model.estimator_.loss_ == pytest.approx(np.mean(losses), rel=1e-12)
