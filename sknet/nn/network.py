"""A fully connected network: structure, flat parameters, forward and backward.

The parameters live in one flat vector ``theta``: every layer's weight matrix
``W`` first (row-major, shape ``(n_in, n_out)``), then every bias ``b``. Layer
arrays are views into it. Optimizers then update all parameters with a few
vector operations, L-BFGS gets the vector SciPy wants without packing, and the
L2 penalty touches one contiguous block.

The structure (:class:`MLP`) holds no parameters, so the same object serves a
training run, a copy of the weights being scored, and prediction.
"""

import numpy as np
import scipy.sparse as sp

from . import activations
from .losses import LOSSES, loss_and_delta, mean_loss


class MLP:
    """Structure of a multilayer perceptron.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input and output included: ``(n_in, *hidden, n_out)``.
    activation : str
        Name of the hidden activation (see ``activations.ACTIVATIONS``).
    loss : str
        Name of the loss (see ``losses.LOSSES``); it fixes the output activation.
    dtype : numpy dtype
        Compute precision of parameters and buffers.
    """

    def __init__(self, sizes, activation, loss, dtype=np.float64):
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activations.get(activation)
        self.loss = LOSSES[loss]
        self.dtype = np.dtype(dtype)
        shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.n_weights = sum(i * o for i, o in shapes)
        self.n_params = self.n_weights + sum(self.sizes[1:])
        self._shapes = shapes

    @property
    def n_layers(self):
        """Number of weight layers."""
        return len(self._shapes)

    @property
    def weight_shapes(self):
        """Shape ``(n_in, n_out)`` of each layer's weight matrix."""
        return list(self._shapes)

    def unpack(self, theta):
        """Views ``(Ws, bs)`` of each layer's weights and biases in ``theta``."""
        Ws, bs, at = [], [], 0
        for n_in, n_out in self._shapes:
            Ws.append(theta[at : at + n_in * n_out].reshape(n_in, n_out))
            at += n_in * n_out
        for _, n_out in self._shapes:
            bs.append(theta[at : at + n_out])
            at += n_out
        return Ws, bs

    def pack(self, Ws, bs):
        """A new flat vector holding copies of ``Ws`` and ``bs``."""
        parts = [np.ravel(W) for W in Ws] + [np.ravel(b) for b in bs]
        return np.concatenate(parts).astype(self.dtype, copy=False)

    def init(self, rng, factor=6.0):
        """Glorot-uniform initial parameters drawn from ``rng``.

        Draws, layer by layer, the weights then the biases from
        ``U(-r, r)`` with ``r = sqrt(factor / (n_in + n_out))``: the order and
        bounds scikit-learn's MLP uses, so the same seed starts from the same
        point. ``factor`` is 2 for logistic hidden units, 6 otherwise.
        """
        theta = np.empty(self.n_params, dtype=self.dtype)
        Ws, bs = self.unpack(theta)
        for W, b in zip(Ws, bs):
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        return theta

    def workspace(self, batch_size):
        """Buffers for batches of up to ``batch_size`` rows (see Workspace)."""
        return Workspace(self, batch_size)

    def forward(self, Ws, bs, X, ws):
        """Output pre-activations (logits) of the rows of ``X``, in ``ws``."""
        A, m = X, X.shape[0]
        last = self.n_layers - 1
        for i, (W, b) in enumerate(zip(Ws, bs)):
            Z = _matmul(A, W, ws.A[i][:m])
            Z += b
            if i < last:
                if self.activation.needs_input:
                    np.copyto(ws.Z[i][:m], Z)
                A = self.activation.forward(Z)
        return Z

    def backward(self, Ws, X, delta, ws):
        """Gradients of ``sum(delta * Z_out)`` into ``ws.grad``.

        ``delta`` is the output delta; the hidden deltas overwrite ``ws.dA``.
        Bias gradients are column sums, taken as ``ones @ delta`` (a BLAS
        matrix-vector product, about 3x faster than ``delta.sum(axis=0)``).
        """
        gWs, gbs = ws.views(ws.grad)
        m = X.shape[0]
        ones = ws.ones[:m]
        for i in range(self.n_layers - 1, -1, -1):
            A_prev = X if i == 0 else ws.A[i - 1][:m]
            _matmul(A_prev.T, delta, gWs[i])
            np.matmul(ones, delta, out=gbs[i])
            if i > 0:
                dA = np.matmul(delta, Ws[i].T, out=ws.dA[i - 1][:m])
                Z = ws.Z[i - 1][:m] if self.activation.needs_input else None
                delta = self.activation.derivative(Z, A_prev, dA)

    def loss_grad(self, theta, X, Y, sample_weight, alpha, ws):
        """Regularized mean loss of a batch; its gradient goes to ``ws.grad``.

        The objective is ``sum_i w_i * l_i / sum_i w_i + alpha / 2 * |W|^2 /
        sum_i w_i`` (all ``w_i = 1`` without weights), scikit-learn's.
        """
        Ws, bs = ws.views(theta)
        Z = self.forward(Ws, bs, X, ws)
        value = loss_and_delta(self.loss, Z, Y, sample_weight)
        total = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        Z *= 1.0 / total  # every gradient is linear in the output delta
        self.backward(Ws, X, Z, ws)
        if alpha:
            np.multiply(theta[: self.n_weights], alpha / total, out=ws.scratch)
            ws.grad[: self.n_weights] += ws.scratch
        return value + self.penalty(theta, alpha, total)

    def penalty(self, theta, alpha, total):
        """The L2 term ``alpha / 2 * |W|^2 / total`` of the objective."""
        W = theta[: self.n_weights]
        return 0.5 * alpha * float(np.dot(W, W)) / total

    def predict_logits(self, Ws, bs, X, chunk_size=4096):
        """Output pre-activations for all rows of ``X``, in bounded memory."""
        n = X.shape[0]
        out = np.empty((n, self.sizes[-1]), dtype=self.dtype)
        ws = Workspace(self, min(chunk_size, max(n, 1)), training=False)
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            out[start:stop] = self.forward(Ws, bs, X[start:stop], ws)
        return out

    def predict(self, Ws, bs, X, chunk_size=4096):
        """Network outputs (after the output activation) for the rows of X."""
        Z = self.predict_logits(Ws, bs, X, chunk_size)
        return activations.OUTPUT_ACTIVATIONS[self.loss.out_activation](Z)

    def mean_loss(self, Ws, bs, X, Y, sample_weight=None):
        """Unregularized weighted mean loss over ``X`` (e.g. a validation set)."""
        Z = self.predict_logits(Ws, bs, X)
        return mean_loss(self.loss, Z, Y, sample_weight)


class Workspace:
    """Preallocated buffers reused by every batch of a training run.

    ``A[i]`` holds layer i's pre-activation, then (in place) its activation;
    ``Z[i]`` a copy of the pre-activation for activations that need it;
    ``dA[i]`` the hidden deltas; ``grad`` the flat gradient; ``scratch`` room
    for the L2 term; ``ones`` a vector of ones for the bias gradients.
    """

    def __init__(self, net, batch_size, training=True):
        dtype, rows, hidden = net.dtype, batch_size, net.sizes[1:-1]
        self.A = [np.empty((rows, n), dtype) for n in net.sizes[1:]]
        keep_z = net.activation.needs_input
        self.Z = [np.empty((rows, n), dtype) for n in hidden] if keep_z else []
        if not training:
            return
        self.dA = [np.empty((rows, n), dtype) for n in hidden]
        self.grad = np.empty(net.n_params, dtype)
        self.scratch = np.empty(net.n_weights, dtype)
        self.ones = np.ones(rows, dtype)
        self._net = net
        self._views = {}

    def views(self, flat):
        """``net.unpack(flat)``, remembered for the flat vectors it has seen.

        A training run unpacks the same parameter and gradient vectors for
        every batch; keeping the views saves that Python work per batch.
        """
        key = (id(flat), flat.__array_interface__["data"][0])
        if key not in self._views:
            if len(self._views) > 8:
                self._views.clear()
            self._views[key] = (flat, self._net.unpack(flat))
        return self._views[key][1]


def _matmul(A, B, out):
    """``A @ B`` into ``out``; ``A`` may be a SciPy sparse matrix."""
    if sp.issparse(A):
        out[...] = A @ B
        return out
    return np.matmul(A, B, out=out)
