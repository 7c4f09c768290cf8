"""The prediction forward pass against the plain one, layer by layer."""

import numpy as np
import pytest

from sknet.nn import MLP, inference
from sknet.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS

ROWS = inference.FOLD_MIN_ROWS  # from here on the folded pass
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}


def _plain(net, Ws, bs, X, out_activation):
    """``A @ W + b`` and the activation, layer after layer, in float64."""
    A = X.astype(np.float64)
    for i, (W, b) in enumerate(zip(Ws, bs)):
        Z = A @ W.astype(np.float64) + b
        A = net.activations[i].forward(Z) if i < len(net.activations) else Z
    return OUTPUT_ACTIVATIONS[out_activation](A)


def _network(sizes, activation, dtype, seed=0):
    net = MLP(sizes, activation, "squared_error", dtype)
    Ws, bs = net.unpack(net.init(np.random.RandomState(seed)))
    for b in bs:  # biases large enough to matter if one were dropped
        b += np.random.RandomState(seed + 1).uniform(-2, 2, b.shape).astype(dtype)
    return net, Ws, bs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("out_activation", sorted(OUTPUT_ACTIVATIONS))
def test_outputs_equal_the_plain_pass(dtype, activation, out_activation):
    # Two hidden layers and several chunks: the ones column must survive
    # every activation (logistic, tanh, ... map 1 elsewhere) and every chunk.
    n = ROWS + 30
    for n_out in (5, inference.CLASS_MAJOR_MAX_OUTPUTS + 1):  # class by class, and not
        net, Ws, bs = _network((6, 9, 7, n_out), activation, dtype)
        X = np.random.RandomState(1).normal(size=(n, 6)).astype(dtype)
        got = inference.outputs(net.activations, Ws, bs, X, out_activation, chunk_size=200)
        assert got.dtype == dtype and got.shape == (n, n_out) and got.flags.c_contiguous
        np.testing.assert_allclose(got, _plain(net, Ws, bs, X, out_activation), **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows", [1, ROWS - 1, ROWS, 2 * ROWS + 3])
@pytest.mark.parametrize("chunk_size", [100, 4096])
def test_every_row_count_and_chunk_size(dtype, n_rows, chunk_size):
    net, Ws, bs = _network((4, 8, 3), "tanh", dtype)
    X = np.random.RandomState(2).normal(size=(n_rows, 4)).astype(dtype)
    got = inference.outputs(net.activations, Ws, bs, X, "softmax", chunk_size)
    np.testing.assert_allclose(got, _plain(net, Ws, bs, X, "softmax"), **TOL[dtype])


@pytest.mark.parametrize("layout", ["fortran", "strided"])
def test_any_memory_layout_of_x(layout):
    net, Ws, bs = _network((5, 8, 2), "relu", np.float64)
    X = np.random.RandomState(3).normal(size=(ROWS + 1, 10))
    X = np.asfortranarray(X[:, :5]) if layout == "fortran" else X[:, ::2]
    got = inference.outputs(net.activations, Ws, bs, X, "identity")
    np.testing.assert_allclose(got, _plain(net, Ws, bs, X, "identity"), **TOL[np.float64])


def test_a_network_without_hidden_layers():
    net, Ws, bs = _network((5, 3), "relu", np.float64)
    X = np.random.RandomState(4).normal(size=(ROWS, 5))
    np.testing.assert_allclose(
        inference.outputs(net.activations, Ws, bs, X, "logistic"),
        _plain(net, Ws, bs, X, "logistic"),
        **TOL[np.float64],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_huge_logits_is_finite_and_sums_to_one(dtype):
    # One output weight of 1e4 makes logits far beyond exp's range.
    net, Ws, bs = _network((3, 4), "relu", dtype)
    Ws[0][0, 1] = 1e4
    X = np.random.RandomState(5).normal(size=(ROWS, 3)).astype(dtype) * 50
    P = inference.outputs(net.activations, Ws, bs, X, "softmax")
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(P, _plain(net, Ws, bs, X, "softmax"), **TOL[dtype])


def test_network_predict_reads_the_loss_output_activation():
    net = MLP((4, 6, 3), "relu", "log_loss")
    Ws, bs = net.unpack(net.init(np.random.RandomState(0)))
    X = np.random.RandomState(6).normal(size=(ROWS, 4))
    np.testing.assert_allclose(net.predict(Ws, bs, X), _plain(net, Ws, bs, X, "softmax"))
    np.testing.assert_allclose(net.predict_logits(Ws, bs, X), _plain(net, Ws, bs, X, "identity"))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [(50, 100, 5), (100, 256, 128, 10), (3000, 10, 2), (4, 2, 1)])
def test_chunks_are_powers_of_two_within_the_byte_budget(dtype, sizes):
    _, Ws, _ = _network(sizes, "relu", dtype)
    rows = inference.chunk_rows(Ws)
    widest = (max(sizes[:-1]) + 1) * np.dtype(dtype).itemsize
    assert 256 <= rows <= 4096 and rows & (rows - 1) == 0
    assert rows == 256 or rows * widest <= inference.CHUNK_BYTES
    assert rows == 4096 or 2 * rows * widest > inference.CHUNK_BYTES  # the largest that fits
