"""Train sknet's networks on a Dask cluster (``pip install 'sknet[dask]'``).

:class:`DataParallel` trains one network on data spread over the workers:
exact data-parallel L-BFGS and minibatch SGD/Adam, or federated averaging.
"""

try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sknet.dask needs Dask and dask.distributed, which are not installed: "
        "pip install 'sknet[dask]'"
    ) from exc

from ._estimator import DataParallel

__all__ = ["DataParallel"]
