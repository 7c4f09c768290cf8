"""What travels, model selection across the cluster, and the attributes left behind."""

import pickle

import dask.array as da
import joblib
import numpy as np
import pytest
from distributed import Client, get_task_stream
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate

from sknet import MLPClassifier, MLPRegressor
from sknet.dask import DataParallel

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def gathered(monkeypatch):
    """Sizes in bytes (pickled) of every result the client gathers from the cluster."""
    sizes = []
    original = Client._gather

    async def spy(self, futures, *args, **kwargs):
        result = await original(self, futures, *args, **kwargs)
        sizes.extend(
            len(pickle.dumps(r)) for r in (result if isinstance(result, list) else [result])
        )
        return result

    monkeypatch.setattr(Client, "_gather", spy)
    return sizes


@pytest.mark.parametrize(
    ("solver", "strategy", "early_stopping"),
    [("lbfgs", "gradient", False), ("adam", "gradient", True), ("adam", "average", True)],
)
def test_only_parameters_and_scalars_reach_the_client(
    client, gathered, solver, strategy, early_stopping
):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(4000, 30))
    y = (X[:, :3].sum(axis=1) > 0).astype(int) + (X[:, 3] > 1)
    net = MLPClassifier(
        (8,),
        solver=solver,
        batch_size=500,
        early_stopping=early_stopping,
        max_iter=3,
        random_state=0,
    )
    model = DataParallel(net, strategy=strategy).fit(
        da.from_array(X, chunks=(1000, 30)), da.from_array(y, chunks=1000)
    )
    n_params = sum(
        W.size + b.size for W, b in zip(model.estimator_.coefs_, model.estimator_.intercepts_)
    )
    assert gathered
    # Adam's averaged round is the largest: parameters and two moments.
    bound = 4 * 8 * n_params + 2048
    assert bound < X.nbytes / 50  # a partition (1/4 of X) could not hide under it
    assert max(gathered) < bound


def test_grid_search_runs_on_the_dask_backend(client, blobs):
    X, y = blobs
    grid = {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (8,)]}
    net = MLPClassifier(solver="lbfgs", max_iter=20, random_state=0)
    here = GridSearchCV(net, grid, cv=3).fit(X, y)
    with get_task_stream(client) as tasks, joblib.parallel_config(backend="dask"):
        there = GridSearchCV(net, grid, cv=3, n_jobs=-1).fit(X, y)
    assert tasks.data, "the fits ran on the cluster"
    assert_allclose(there.cv_results_["mean_test_score"], here.cv_results_["mean_test_score"])
    assert there.best_params_ == here.best_params_


def test_cross_validate_and_randomized_search_on_the_dask_backend(client, blobs):
    X, _ = blobs
    net = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0)
    target = X[:, 0] - 2 * X[:, 1]
    here = cross_validate(net, X, target, cv=3)
    with joblib.parallel_config(backend="dask"):
        there = cross_validate(net, X, target, cv=3, n_jobs=-1)
        search = RandomizedSearchCV(
            net, {"alpha": [1e-4, 1e-3, 1e-2, 1e-1]}, n_iter=2, cv=2, random_state=0, n_jobs=-1
        ).fit(X, target)
    assert_allclose(there["test_score"], here["test_score"])
    assert len(search.cv_results_["params"]) == 2


@pytest.mark.parametrize(("backend", "n_jobs"), [("sequential", None), ("dask", 2)])
def test_data_parallel_inside_a_grid_search(client, blobs, backend, n_jobs):
    """Each candidate trains on the cluster; the scores are those of local fits.

    On the Dask backend each fit runs in a task that starts tasks of its own.
    """
    X, y = blobs
    net = MLPClassifier((4,), solver="lbfgs", max_iter=8, random_state=0)
    grid = {"alpha": [1e-4, 1.0]}
    local = GridSearchCV(net, grid, cv=2).fit(X, y)
    search = GridSearchCV(DataParallel(net), {"estimator__alpha": grid["alpha"]}, cv=2)
    with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
        search.fit(X, y)
    assert_allclose(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], atol=1e-12
    )
    assert search.best_estimator_.estimator_.alpha == local.best_params_["alpha"]


@pytest.mark.parametrize(
    ("net", "strategy"),
    [
        (MLPClassifier((4,), solver="lbfgs", max_iter=5), "gradient"),
        (MLPClassifier((4,), solver="sgd", max_iter=2), "gradient"),
        (MLPClassifier((4,), early_stopping=True, max_iter=2), "gradient"),
        (MLPRegressor(hidden_layer_sizes=(4,), max_iter=2), "average"),
    ],
)
def test_the_fitted_estimator_has_every_attribute_of_a_local_fit(client, blobs, net, strategy):
    X, y = blobs
    local = clone(net).fit(X, y)
    fitted = DataParallel(net, strategy=strategy).fit(X, y).estimator_
    assert type(fitted) is type(local)
    assert sorted(vars(fitted)) == sorted(vars(local))
    for name, value in vars(local).items():
        assert type(getattr(fitted, name)) is type(value), name
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            assert [a.shape for a in getattr(fitted, name)] == [a.shape for a in value], name
    assert fitted.get_params() == local.get_params()
