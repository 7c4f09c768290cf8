"""An in-process Dask cluster (2 workers, threads) shared by the Dask tests."""

import pytest

try:
    import distributed  # noqa: F401
except ImportError:  # the dask extra is not installed: nothing here can run
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="package")
def client():
    """A client of a LocalCluster in this process: 2 workers of 1 thread.

    Package-scoped: it closes after the Dask tests, so it is nobody's default
    client in the rest of the suite.
    """
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture
def blobs():
    """A 3-class problem with 8 features, scaled."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=500, n_features=8, n_informative=6, n_classes=3, random_state=0
    )
    return X, y
