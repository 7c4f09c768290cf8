"""A cluster of worker processes: everything crosses a pickle, and a worker dies mid-fit."""

import os
import pickle
import signal

import dask.array as da
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknet import MLPClassifier
from sknet.dask import DataParallel, _fit

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def processes():
    """A LocalCluster of 2 worker processes, or a skip where none can start."""
    from distributed import Client, LocalCluster

    try:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
        )
    except Exception as exc:  # no fork/spawn, no sockets: nothing to test here
        pytest.skip(f"worker processes cannot start here: {exc!r}")
    with cluster, Client(cluster, set_as_default=False) as client:
        yield cluster, client


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 6))
    y = np.where(X[:, 0] + X[:, 1] ** 2 > 1, "yes", "no")
    return da.from_array(X, chunks=(1000, 6)), da.from_array(y, chunks=1000)


def net():
    return MLPClassifier((8,), solver="lbfgs", max_iter=40, random_state=0)


def test_fit_across_processes_pickles_and_predicts(processes, data):
    cluster, _ = processes
    X, y = data
    # A scheduler address, unlike a client, survives pickling.
    model = DataParallel(net(), client=cluster.scheduler_address).fit(X, y)
    local = net().fit(X.compute(), y.compute())
    assert model.estimator_.loss_ == pytest.approx(local.loss_, rel=1e-8)
    again = pickle.loads(pickle.dumps(model))
    assert_array_equal(again.predict(X).compute(), local.predict(X.compute()))


def test_a_worker_killed_mid_fit_changes_nothing(processes, data, monkeypatch):
    _, client = processes
    X, y = data
    reference = DataParallel(net(), client=client).fit(X, y).estimator_

    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    passes = []
    map_once = _fit.Run.map

    def map_and_kill(run, *args, **kwargs):
        passes.append(1)
        if len(passes) == 5:  # the fifth pass over the data: L-BFGS is under way
            os.kill(pids[victim], signal.SIGKILL)
        return map_once(run, *args, **kwargs)

    monkeypatch.setattr(_fit.Run, "map", map_and_kill)
    fitted = DataParallel(net(), client=client).fit(X, y).estimator_

    assert len(passes) > 5, "the fit went on after the worker died"
    assert victim not in client.scheduler_info(n_workers=-1)["workers"]
    assert fitted.n_iter_ == reference.n_iter_
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, reference.coefs_ + reference.intercepts_):
        assert_array_equal(a, b)
