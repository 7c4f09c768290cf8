import numpy as np
import pytest

from sknet.nn import blas
from sknet.nn.optimizers import SGD, Adam

DTYPES = [np.float32, np.float64]


def _vectors(dtype, n=37):
    rng = np.random.default_rng(0)
    return rng.standard_normal(n).astype(dtype), rng.standard_normal(n).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_and_scal_update_in_place_as_numpy_does(dtype):
    x, y = _vectors(dtype)
    expected_y, expected_x = y + dtype(0.3) * x, x * dtype(-1.7)
    y_before = y
    assert blas.axpy(0.3, x, y) is y_before
    np.testing.assert_allclose(y, expected_y, rtol=4 * np.finfo(dtype).eps)
    assert blas.scal(-1.7, x) is x
    np.testing.assert_array_equal(x, expected_x)  # one rounding either way


@pytest.mark.parametrize("dtype", DTYPES)
def test_axpy_by_minus_one_is_numpy_subtraction_bitwise(dtype):
    x, y = _vectors(dtype)
    expected = y - x
    blas.axpy(-1.0, x, y)
    np.testing.assert_array_equal(y, expected)


def test_arrays_the_wrappers_copy_are_still_updated():
    # A strided view, another dtype for x, and a dtype BLAS lacks.
    x, y = _vectors(np.float64, 40)
    view, expected = y[::2], y[::2] + 2.0 * x[::2]
    blas.axpy(2.0, x[::2].astype(np.float32), view)
    np.testing.assert_allclose(y[::2], expected, rtol=1e-6)
    scaled = np.arange(6.0)[::3]
    blas.scal(3.0, scaled)
    np.testing.assert_array_equal(scaled, [0.0, 9.0])
    ints = np.arange(4)
    blas.scal(2, ints)
    blas.axpy(1, ints, ints)
    np.testing.assert_array_equal(ints, [0, 4, 8, 12])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [1, 7, 200])
def test_add_rows_is_the_broadcast_addition_bitwise(dtype, rows):
    rng = np.random.default_rng(1)
    buffer = rng.standard_normal((200, 9)).astype(dtype)
    Z, b = buffer[:rows], rng.standard_normal(9).astype(dtype)
    expected, rest = Z + b, buffer[rows:].copy()
    assert blas.add_rows(Z, b, np.ones(rows, dtype)) is Z
    np.testing.assert_array_equal(Z, expected)
    np.testing.assert_array_equal(buffer[rows:], rest)  # rows past Z untouched


def test_add_rows_falls_back_without_ones_or_on_a_strided_batch():
    Z, b = np.zeros((4, 6)), np.arange(3.0)
    blas.add_rows(Z[:, ::2], b, np.ones(4))
    blas.add_rows(Z[:, 1::2], b, None)
    np.testing.assert_array_equal(Z, np.repeat(np.arange(3.0), 2)[None].repeat(4, axis=0))


@pytest.mark.parametrize("opt", [SGD(), Adam()])
def test_a_step_with_foreign_state_arrays_matches_one_with_its_own(opt):
    """Moments that are strided views (state kept in a larger array) still move."""
    theta, grad = _vectors(np.float64, 11)
    state = opt.init(theta)
    twin_theta, twin_state = theta.copy(), opt.init(theta)
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            holder = np.zeros(2 * value.size)
            state[key] = holder[::2]
    for _ in range(3):
        opt.update(theta, grad.copy(), state, 0.1)
        opt.update(twin_theta, grad.copy(), twin_state, 0.1)
    np.testing.assert_array_equal(theta, twin_theta)


def test_add_rows_updates_a_batch_in_place_without_copying_back(monkeypatch):
    """The hot path: SciPy updates ``Z.T`` itself, so nothing is copied back."""
    copied = []
    kept = blas._kept
    monkeypatch.setattr(blas, "_kept", lambda r, t: copied.append(r is not t) or kept(r, t))
    for dtype in DTYPES:
        Z = np.zeros((200, 7), dtype)
        blas.add_rows(Z, np.arange(7, dtype=dtype), np.ones(200, dtype))
        np.testing.assert_array_equal(Z, np.broadcast_to(np.arange(7, dtype=dtype), Z.shape))
    assert copied == [False, False]
