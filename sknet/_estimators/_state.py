"""What a fitted estimator carries from one call to the next, and its safety net.

The carried state (``estimator._state``) is plain data, so a fitted
estimator pickles and persists with ``skops.io`` as numbers, strings, lists,
dicts and arrays: under ``"training"`` the core's
:class:`~sknet.nn.training.State` as a dict (``vars(state)``: rate,
optimizer moments, curves, counters), under ``"early_stopping"`` the
record of :class:`~._early_stopping.EarlyStopping` (scores, best weights).
"""

import copy
from contextlib import contextmanager

import numpy as np


def carried_state(estimator, dtype):
    """A copy of the estimator's carried state, its arrays in ``dtype``.

    A copy, so a failed fit leaves the estimator's own state as it was; in
    ``dtype``, so ``set_params(dtype=...)`` on a warm start carries the
    optimizer moments over in the new precision.
    """
    carried = copy.deepcopy(getattr(estimator, "_state", None) or {})
    for part in carried.values():
        _cast_arrays(part, dtype)
    return carried


def _cast_arrays(tree, dtype):
    """Cast every float array in a dict (and the dicts in it) to ``dtype``, in place."""
    for key, value in tree.items():
        if isinstance(value, dict):
            _cast_arrays(value, dtype)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            tree[key] = value.astype(dtype, copy=False)


@contextmanager
def restore_on_failure(estimator):
    """On an exception, put back every attribute the estimator had before.

    The fit code never mutates an existing attribute's object in place (it
    packs copies of the weights and deep-copies the carried state), so a
    shallow copy of ``__dict__`` is a full snapshot. The callback machinery's
    own attributes are left as they are so its teardown still runs.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        live = {
            k: v
            for k, v in estimator.__dict__.items()
            if k.startswith(("_callback", "_skl_callbacks"))
        }
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        estimator.__dict__.update(live)
        raise
