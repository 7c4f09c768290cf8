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

from . import activations, inference, losses
from .blas import add_rows, axpy
from .dropout import check_rates
from .losses import loss_and_delta, mean_loss
from .workspace import Workspace


class MLP:
    """Structure of a multilayer perceptron.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input and output included: ``(n_in, *hidden, n_out)``.
    activation : str or sequence of str
        Name of the hidden activation (see ``activations.ACTIVATIONS``), or
        one name per hidden layer.
    loss : str or losses.Loss
        Name of the loss (see ``losses.LOSSES``), or a loss with parameters
        from ``losses.get(name, **params)``; it fixes the output activation.
    dtype : numpy dtype
        Compute precision of parameters and buffers.
    dropout : float or sequence of float, default=0.0
        Probability of dropping a hidden unit during training, for every
        hidden layer or one per hidden layer. Masks are drawn in
        ``loss_grad`` from the ``rng`` given to :meth:`workspace`;
        prediction never drops units.

    Attributes
    ----------
    activations : tuple of activations.Activation
        The activation of each hidden layer.
    activation : activations.Activation or None
        The activation every hidden layer shares; None when they differ.
    dropout : tuple of float
        The dropout rate of each hidden layer (0.0 where off).

    Examples
    --------
    >>> net = MLP((4, 8, 8, 1), ("tanh", "relu"), "huber", dropout=(0.2, 0.0))
    >>> [a.name for a in net.activations], net.activation, net.dropout
    (['tanh', 'relu'], None, (0.2, 0.0))
    """

    def __init__(self, sizes, activation, loss, dtype=np.float64, dropout=0.0):
        self.sizes = tuple(int(s) for s in sizes)
        n_hidden = len(self.sizes) - 2
        names = _per_hidden_layer("activation", activation, n_hidden)
        self.activations = tuple(activations.get(name) for name in names)
        self.activation = _shared(activation, self.activations)
        self.dropout = check_rates(_per_hidden_layer("dropout", dropout, n_hidden))
        self.loss = loss if isinstance(loss, losses.Loss) else losses.get(loss)
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

    def init(self, rng, factor=None):
        """Glorot-uniform initial parameters drawn from ``rng``.

        Draws, layer by layer, the weights then the biases from
        ``U(-r, r)`` with ``r = sqrt(factor / (n_in + n_out))``: the order and
        bounds scikit-learn's MLP uses, so the same seed starts from the same
        point. By default each layer's ``factor`` is the ``init_factor`` of
        the activation it feeds, the output layer taking the last hidden
        layer's (with one shared activation, scikit-learn's rule: 2 for
        logistic, 6 otherwise); give a number, or one per weight layer, to
        override it.
        """
        if factor is None:
            factor = self._init_factors()
        theta = np.empty(self.n_params, dtype=self.dtype)
        Ws, bs = self.unpack(theta)
        factors = np.broadcast_to(np.asarray(factor, dtype=float), (self.n_layers,))
        for W, b, factor in zip(Ws, bs, factors.tolist()):
            bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        return theta

    def _init_factors(self):
        """The ``init_factor`` of the activation each weight layer feeds."""
        last = self.activation or (self.activations[-1] if self.activations else None)
        last = last or activations.get("identity")  # no hidden layer: a linear model
        return [a.init_factor for a in self.activations] + [last.init_factor]

    def workspace(self, batch_size, rng=None, masks=None):
        """Buffers for batches of up to ``batch_size`` rows (see Workspace).

        A network with dropout needs ``rng`` (a NumPy ``Generator`` or
        ``RandomState``) to draw fresh masks for every batch, or ``masks``
        to use the same ones every time (for gradient checks).
        """
        return Workspace(self, batch_size, rng=rng, masks=masks)

    def forward(self, Ws, bs, X, ws, masks=None):
        """Output pre-activations (logits) of the rows of ``X``, in ``ws``.

        ``masks`` (from ``ws.dropout.draw``) multiply the hidden activations:
        dropout in training; prediction passes none.
        """
        rows = ws.rows(X.shape[0])
        A, last = X, len(Ws) - 1
        for i, (W, b) in enumerate(zip(Ws, bs)):
            Z = rows.A[i]
            _matmul(A, W, Z) if i == 0 else np.matmul(A, W, out=Z)
            add_rows(Z, b, rows.ones)
            if i < last:
                if rows.Z[i] is not None:
                    np.copyto(rows.Z[i], Z)
                A = self.activations[i].forward(Z)
                if masks is not None and masks[i] is not None:
                    A = np.multiply(A, masks[i], out=rows.dropped[i])
        return Z

    def backward(self, Ws, X, delta, ws, masks=None):
        """Gradients of ``sum(delta * Z_out)`` into ``ws.grad``.

        ``delta`` is the output delta; the hidden deltas overwrite ``ws.dA``.
        ``masks`` are those the forward pass used. Bias gradients are column
        sums, taken as ``ones @ delta`` (a BLAS matrix-vector product, faster
        than ``delta.sum(axis=0)``).
        """
        gWs, gbs = ws.views(ws.grad)
        rows = ws.rows(X.shape[0])
        for i in range(len(Ws) - 1, 0, -1):
            mask = None if masks is None else masks[i - 1]
            A_in = rows.A[i - 1] if mask is None else rows.dropped[i - 1]
            np.matmul(A_in.T, delta, out=gWs[i])
            np.matmul(rows.ones, delta, out=gbs[i])
            dA = np.matmul(delta, Ws[i].T, out=rows.dA[i - 1])
            if mask is not None:
                dA *= mask
            delta = self.activations[i - 1].derivative(rows.Z[i - 1], rows.A[i - 1], dA)
        _matmul(X.T, delta, gWs[0])
        np.matmul(rows.ones, delta, out=gbs[0])

    def loss_grad(self, theta, X, Y, sample_weight, alpha, ws):
        """Regularized mean loss of a batch; its gradient goes to ``ws.grad``.

        The objective is ``sum_i w_i * l_i / sum_i w_i + alpha / 2 * |W|^2 /
        sum_i w_i`` (all ``w_i = 1`` without weights), scikit-learn's. With
        dropout, fresh masks are drawn for this batch (see ``workspace``).
        """
        Ws, bs = ws.views(theta)
        masks = None if ws.dropout is None else ws.dropout.draw(X.shape[0])
        Z = self.forward(Ws, bs, X, ws, masks)
        value = loss_and_delta(self.loss, Z, Y, sample_weight)
        total = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        Z *= 1.0 / total  # every gradient is linear in the output delta
        self.backward(Ws, X, Z, ws, masks)
        self.add_penalty_grad(theta, alpha, total, ws.grad)
        return value + self.penalty(theta, alpha, total)

    def penalty(self, theta, alpha, total):
        """The L2 term ``alpha / 2 * |W|^2 / total`` of the objective."""
        W = theta[: self.n_weights]
        return 0.5 * alpha * float(np.dot(W, W)) / total

    def add_penalty_grad(self, theta, alpha, total, grad):
        """Add the L2 term's gradient ``alpha * W / total`` to ``grad``."""
        if alpha:
            axpy(alpha / total, theta[: self.n_weights], grad[: self.n_weights])

    def predict_logits(self, Ws, bs, X, chunk_size=None):
        """Output pre-activations for all rows of ``X``, in bounded memory."""
        return self.predict(Ws, bs, X, chunk_size, out_activation="identity")

    def predict(self, Ws, bs, X, chunk_size=None, out_activation=None):
        """Network outputs for the rows of ``X``, in bounded memory.

        ``out_activation`` defaults to the loss's (``"identity"``: the
        logits). Dense ``X`` goes through :mod:`.inference`, sparse ``X``
        through :meth:`forward`, chunk by chunk.
        """
        out_activation = out_activation or self.loss.out_activation
        if not sp.issparse(X):
            return inference.outputs(self.activations, Ws, bs, X, out_activation, chunk_size)
        n, chunk_size = X.shape[0], chunk_size or inference.chunk_rows(Ws)
        ws = Workspace(self, min(chunk_size, max(n, 1)), training=False)
        out = np.empty((n, self.sizes[-1]), dtype=self.dtype)
        for start in range(0, n, chunk_size):
            stop = min(start + chunk_size, n)
            out[start:stop] = self.forward(Ws, bs, X[start:stop], ws)
        return activations.OUTPUT_ACTIVATIONS[out_activation](out)

    def mean_loss(self, Ws, bs, X, Y, sample_weight=None):
        """Unregularized weighted mean loss over ``X`` (e.g. a validation set)."""
        Z = self.predict_logits(Ws, bs, X)
        return mean_loss(self.loss, Z, Y, sample_weight)


def _per_hidden_layer(name, value, n_hidden):
    """``value`` repeated for every hidden layer, or the sequence checked."""
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        values = (value,) * n_hidden
    else:
        values = tuple(value)
        if len(values) != n_hidden:
            raise ValueError(
                f"{name} has {len(values)} entries but the network has {n_hidden} hidden "
                f"layers: give one {name} for all of them or one per hidden layer."
            )
    return values


def _shared(activation, per_layer):
    """The activation all hidden layers share, or None when they differ."""
    if isinstance(activation, str):
        return activations.get(activation)
    return per_layer[0] if per_layer and len(set(per_layer)) == 1 else None


def _matmul(A, B, out):
    """``A @ B`` into ``out``; ``A`` may be a SciPy sparse matrix."""
    if type(A) is not np.ndarray and sp.issparse(A):  # plain arrays skip the ABC check
        out[...] = A @ B
        return out
    return np.matmul(A, B, out=out)
