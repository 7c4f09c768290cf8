import pytest


@pytest.fixture(autouse=True, scope="module")
def one_openmp_thread():
    """HistGradientBoosting's OpenMP threads took 20x longer than one thread
    on the shared machine (as BLAS threads do, see tests/conftest.py)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield
