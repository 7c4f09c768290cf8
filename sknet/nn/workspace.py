"""Preallocated buffers that every batch of a training run reuses.

A :class:`Workspace` belongs to one network and one largest batch size; the
network's forward and backward passes write into it, so a run allocates its
buffers once instead of per batch.
"""

import numpy as np

from .dropout import Masks


class Workspace:
    """Preallocated buffers reused by every batch of a training run.

    ``A[i]`` holds layer i's pre-activation, then (in place) its activation;
    ``Z[i]`` a copy of hidden layer i's pre-activation when training and its
    activation needs it (None otherwise); ``dA[i]`` the hidden deltas;
    ``grad`` the flat gradient; ``ones`` a vector of ones for the bias
    gradients and the bias rows (``nn.blas.add_rows``). With dropout,
    ``dropout`` holds the masks (``dropout.Masks``; None without dropout) and
    ``dropped[i]`` hidden layer i's activation times its mask, the input of
    the next layer. :meth:`rows` gives views of the first ``m`` rows of all
    of them.
    """

    def __init__(self, net, batch_size, training=True, rng=None, masks=None):
        dtype, rows, hidden = net.dtype, batch_size, net.sizes[1:-1]
        self.A = [np.empty((rows, n), dtype) for n in net.sizes[1:]]
        self.Z = [
            np.empty((rows, n), dtype) if training and act.needs_input else None
            for act, n in zip(net.activations, hidden)
        ]
        self.ones = None
        self.dA = [None] * len(hidden)
        self.dropout, self.dropped = None, [None] * len(hidden)
        self._size, self._rows, self._views = rows, {}, {}
        if not training:
            return
        self.dA = [np.empty((rows, n), dtype) for n in hidden]
        self.ones = np.ones(rows, dtype)
        self.grad = np.empty(net.n_params, dtype)
        self._net = net
        if masks is not None or any(net.dropout):
            shapes = [(rows, n) for n in hidden]
            self.dropout = Masks(net.dropout, shapes, dtype, rng, masks)
            self.dropped = [M if M is None else np.empty_like(M) for M in self.dropout.buffers]

    def rows(self, m):
        """The buffers' first ``m`` rows, as an object with the same attribute
        names (``A``, ``Z``, ``dA``, ``dropped``, ``ones``): the workspace
        itself for full batches.

        A run sees one or two batch sizes, so the views are made once per
        size instead of being sliced for every batch.
        """
        if m == self._size:
            return self
        views = self._rows.get(m)
        if views is None:
            if len(self._rows) > 8:
                self._rows.clear()
            views = self._rows[m] = _Rows(self, m)
        return views

    def views(self, flat):
        """``net.unpack(flat)``, remembered for the flat vectors it has seen.

        A training run unpacks the same parameter and gradient vectors for
        every batch; keeping the views saves that Python work per batch.
        The cache holds a reference to each vector, so no other array can
        reuse its ``id`` while it is cached.
        """
        hit = self._views.get(id(flat))
        if hit is None or hit[0] is not flat:
            if len(self._views) > 8:
                self._views.clear()
            hit = self._views[id(flat)] = (flat, self._net.unpack(flat))
        return hit[1]


class _Rows:
    """Views of the first ``m`` rows of a workspace's buffers."""

    def __init__(self, ws, m):
        self.A, self.Z, self.dA, self.dropped = (
            [None if B is None else B[:m] for B in buffers]
            for buffers in (ws.A, ws.Z, ws.dA, ws.dropped)
        )
        self.ones = None if ws.ones is None else ws.ones[:m]
