"""The client side of every distributed pass: tasks out, small sums back.

All communication goes through ``dask.distributed``: tasks are ``Delayed``
calls on partitions that live on the workers, their results are combined
on the workers in a tree when there are many, and only the final sum
(parameter vectors and scalars) is gathered by the client.
"""

from contextlib import contextmanager

from dask import delayed
from distributed import Client, futures_of, get_client, get_worker, worker_client

from ._worker import add

# Results combined per task of the reduction tree; with fewer partitions
# than this, the client gathers them directly (one round trip less).
FAN_IN = 16


@contextmanager
def connect(client):
    """The client to use: the given one, one to an address, the task's own, or the default.

    Inside a Dask task (a DataParallel fitted by a grid search on the Dask
    joblib backend), the task leaves the worker's thread pool while it waits
    on its own tasks, so nested fits cannot deadlock the workers.
    """
    if isinstance(client, str):  # a scheduler address: picklable, e.g. for loky workers
        with Client(client, set_as_default=False) as connected:
            yield connected
        return
    if client is not None:
        yield client
        return
    if _in_task():
        with worker_client() as nested:
            yield nested
        return
    try:
        client = get_client()
    except ValueError:
        raise ValueError(
            "DataParallel needs a Dask cluster and this process has no client: create one "
            "first, e.g. `from dask.distributed import Client; client = Client()` for a "
            "local cluster or `Client('scheduler-address:8786')`, or pass client= (a client "
            "or a scheduler address). In a grid search with n_jobs, fit under "
            "joblib.parallel_config(backend='dask') or use n_jobs=1."
        ) from None
    yield client


def _in_task():
    try:
        get_worker()
    except ValueError:
        return False
    return True


class Cluster:
    """A ``distributed.Client`` and the few operations training needs."""

    def __init__(self, client):
        self.client = client

    def n_threads(self):
        """Worker threads in the cluster: the partitions in-memory data is cut into."""
        return max(1, sum(self.client.nthreads().values()))

    def persist(self, tasks):
        """Compute ``tasks`` on the workers and keep the results there.

        Waits for them and re-raises the first error (e.g. a partition that
        fails validation), so a bad input fails here, clearly.
        """
        kept = self.client.persist(tasks, optimize_graph=False)
        for future in futures_of(kept):
            if future.exception() is not None:  # waits; brings no data
                future.result()
        return kept

    def gather(self, tasks):
        """Compute ``tasks`` and bring their (small) results to the client."""
        futures = self.client.compute(tasks, optimize_graph=False)
        return self.client.gather(futures)

    def map_reduce(self, fn, per_partition, *shared, combine=add):
        """``combine(fn(*args, *shared) for args in per_partition)``, computed on the cluster.

        Results are combined in partition order (sums do not depend on which
        worker finishes first), in a tree of ``FAN_IN`` when there are many.
        """
        call = delayed(fn)
        tasks = [call(*args, *shared) for args in per_partition]
        while len(tasks) > FAN_IN:
            merge = delayed(combine)
            tasks = [merge(*tasks[i : i + FAN_IN]) for i in range(0, len(tasks), FAN_IN)]
        return combine(*self.gather(tasks))
