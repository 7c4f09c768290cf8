import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_regression


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture
def clf_data():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


@pytest.fixture
def reg_data():
    X, y = make_regression(n_samples=120, n_features=5, noise=0.1, random_state=0)
    return X, y / np.std(y)


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """One BLAS thread keeps test times steady: on a shared 2-core machine,
    threads waiting on other processes made fits up to 25x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
