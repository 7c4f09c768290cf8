"""The prediction forward pass, a chunk of rows at a time.

Training keeps every layer's activation for the backward pass; prediction
needs only the outputs, so it can arrange the work for speed:

- each bias is folded into its layer's product: a chunk's input and hidden
  activations sit in buffers with a last column of ones and each layer's
  weights are stacked over its bias, so one BLAS call computes
  ``[A, 1] @ [W; b] = A @ W + b`` and no pass over the result adds the bias;
- the output layer is computed class by class (``[W; b].T @ [A, 1].T``), so
  the output activation runs over long contiguous rows, not over many short
  rows of a few classes (the softmax of 5 classes, 3x faster), and the
  chunk is then copied to the row-major result while it is still in cache.

On scikit-learn's default network (50 -> 100 -> 5) these two made the
forward pass over 10,000 rows 10-15% faster than the training pass's
(``python -m benchmarks.default`` times the whole ``predict_proba``). The
products sum each bias inside the BLAS kernel rather than after it, so
outputs may differ from ``A @ W + b`` in the last bit.
"""

import numpy as np

from . import activations as _activations

FOLD_MIN_ROWS = 512
"""From this many rows on the biases are folded; below, stacking the weights
and filling the buffers costs more than the passes it saves (measured on
networks (50, 100, 5) and (100, 256, 128, 10)), and the layers are applied
directly."""


CHUNK_BYTES = 2 << 20
"""Bytes of the widest buffer of a chunk (see :func:`chunk_rows`): on
networks (50, 100, 5) and (100, 256, 128, 10), float32 and float64, 10,000
rows were predicted fastest with chunks of about this size (2-7% faster than
4096 rows for the second)."""

CLASS_MAJOR_MAX_OUTPUTS = 16
"""Up to this many outputs the output layer is computed class by class; with
more, the rows are long enough for the row-major form, which then wins."""


def _column_softmax(ZT):
    """Softmax of each column of ``ZT`` (one row per class), in place."""
    ZT -= ZT.max(axis=0)
    np.exp(ZT, out=ZT)
    ZT /= ZT.sum(axis=0)
    return ZT


_CLASS_MAJOR = {"softmax": _column_softmax}
"""Output activations that need their own form for class-by-class outputs
(the others act on each entry alone)."""


def chunk_rows(Ws):
    """Rows per chunk: a power of two (256 to 4096) that keeps the widest
    layer's buffer within ``CHUNK_BYTES``, so each chunk's passes run in cache."""
    widest = max(W.shape[0] + 1 for W in Ws) * Ws[0].dtype.itemsize
    rows = 1 << max(CHUNK_BYTES // widest, 1).bit_length() - 1
    return min(max(rows, 256), 4096)


def outputs(activations, Ws, bs, X, out_activation="identity", chunk_size=None):
    """The network's outputs for the rows of the dense array ``X``.

    ``activations`` are the hidden layers' (``activations.Activation``),
    ``Ws`` and ``bs`` every layer's weights and bias, ``out_activation`` a
    name from ``activations.OUTPUT_ACTIVATIONS`` (``"identity"``: the
    logits). ``X`` is in the weights' dtype. Memory beyond the result is
    bounded by ``chunk_size`` rows (default: :func:`chunk_rows`).
    """
    if X.shape[0] < FOLD_MIN_ROWS:
        Z = _direct(activations, Ws, bs, X)
        return _activations.OUTPUT_ACTIVATIONS[out_activation](Z)
    if Ws[-1].shape[1] > CLASS_MAJOR_MAX_OUTPUTS:
        output = _activations.OUTPUT_ACTIVATIONS[out_activation]
        return _folded(activations, Ws, bs, X, output, chunk_size, by_class=False)
    output = _CLASS_MAJOR.get(out_activation) or _activations.OUTPUT_ACTIVATIONS[out_activation]
    return _folded(activations, Ws, bs, X, output, chunk_size, by_class=True)


def _direct(activations, Ws, bs, X):
    A = X
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W
        Z += b
        A = activations[i].forward(Z) if i < len(activations) else Z
    return A


def _folded(activations, Ws, bs, X, output, chunk_size, by_class):
    n, dtype = X.shape[0], Ws[0].dtype
    chunk_size = chunk_size or chunk_rows(Ws)
    stacked = [np.vstack([W, b]) for W, b in zip(Ws, bs)]
    last = stacked.pop()
    last_T = np.ascontiguousarray(last.T) if by_class else None  # (n_out, n_in + 1)
    rows = min(chunk_size, n)
    inputs = [_with_ones(rows, W.shape[0], dtype) for W in Ws]
    by_class_out = np.empty((last.shape[1], rows), dtype) if by_class else None
    out = np.empty((n, last.shape[1]), dtype)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        A = inputs[0][: stop - start]
        A[:, :-1] = X[start:stop]
        for W, activation, following in zip(stacked, activations, inputs[1:]):
            A = _hidden_layer(A, W, activation, following[: stop - start])
        if by_class:
            Z = np.matmul(last_T, A.T, out=by_class_out[:, : stop - start])
            out[start:stop] = output(Z).T
        else:
            output(np.matmul(A, last, out=out[start:stop]))
    return out


def _hidden_layer(A, W, activation, out):
    """``activation([A, 1] @ [W; b])`` into ``out``, its last column kept at one."""
    np.matmul(A, W, out=out[:, :-1])
    out = activation.forward(out)  # whole rows: the contiguous, faster loop
    if out[0, -1] != 1:  # f(1) is 1 for relu and its kin: then the column still is
        out[:, -1] = 1
    return out


def _with_ones(rows, columns, dtype):
    """A ``(rows, columns + 1)`` buffer whose last column is ones."""
    buffer = np.empty((rows, columns + 1), dtype)
    buffer[:, -1] = 1
    return buffer
