import numpy as np
import pytest

from sknet.nn import activations
from sknet.nn.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS

NAMES = sorted(ACTIVATIONS)

REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1 + np.vectorize(__import__("math").erf)(z / np.sqrt(2))),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "mish": lambda z: z * np.tanh(np.log1p(np.exp(z))),
}


def _apply(act, Z):
    Z = Z.copy()
    return act.forward(Z)


@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_reference_formula(name):
    Z = np.linspace(-6, 6, 61).reshape(-1, 1)
    np.testing.assert_allclose(_apply(ACTIVATIONS[name], Z), REFERENCE[name](Z), atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_is_in_place_and_keeps_dtype(name, dtype):
    Z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    A = ACTIVATIONS[name].forward(Z)
    assert A is Z
    assert A.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_finite_differences(name):
    act = ACTIVATIONS[name]
    # Stay away from the kinks of relu / leaky_relu / elu at 0.
    Z = np.array([[-3.0, -1.2, -0.3, 0.25, 0.9, 2.7]])
    h = 1e-6
    numeric = (_apply(act, Z + h) - _apply(act, Z - h)) / (2 * h)
    A = _apply(act, Z)
    dA = np.ones_like(Z)
    act.derivative(Z.copy() if act.needs_input else None, A, dA)
    np.testing.assert_allclose(dA, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_overflow_on_extreme_inputs(name, dtype):
    Z = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = _apply(ACTIVATIONS[name], Z)
        dA = np.ones_like(A)
        ACTIVATIONS[name].derivative(Z.copy(), A, dA)
    assert np.isfinite(dA).all()
    if name not in ("identity", "relu", "leaky_relu", "elu", "gelu", "softplus"):
        assert np.isfinite(A).all()


@pytest.mark.parametrize("name", NAMES)
def test_float32_derivative_agrees_with_float64(name):
    act = ACTIVATIONS[name]
    Z = np.linspace(-7, 7, 29).reshape(1, -1) + 0.01  # off the kinks at 0
    grads = []
    for dtype in (np.float32, np.float64):
        Zd = Z.astype(dtype)
        A = _apply(act, Zd)
        dA = np.ones_like(Zd)
        act.derivative(Zd.copy() if act.needs_input else None, A, dA)
        assert A.dtype == dA.dtype == dtype
        grads.append(dA)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["silu", "mish", "gelu", "softplus"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smooth_relus_saturate_exactly_at_extremes(name, dtype):
    # For |z| large these behave like relu: f(z) = max(z, 0), f'(z) = 1[z > 0].
    act = ACTIVATIONS[name]
    Z = np.array([[-1e4, -200.0, 200.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = _apply(act, Z)
        dA = np.ones_like(A)
        act.derivative(Z.copy(), A, dA)
    np.testing.assert_allclose(A, np.maximum(Z, 0), atol=1e-30)
    np.testing.assert_allclose(dA, (Z > 0).astype(dtype), atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_and_normalized(dtype):
    Z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        P = activations.softmax(Z.copy())
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(P[0], [1, 0, 0], atol=1e-7)
    np.testing.assert_allclose(activations.log_softmax(Z)[0, 2], -2000.0, rtol=1e-6)


def test_exp_output_clips_instead_of_overflowing():
    with np.errstate(over="raise"):
        out = OUTPUT_ACTIVATIONS["exp"](np.array([[1e5]], dtype=np.float32))
    assert np.isfinite(out).all()


def test_log_logistic_is_exact_for_large_inputs():
    np.testing.assert_allclose(activations.log_logistic(np.array([-800.0, 800.0])), [-800.0, 0.0])


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        activations.get("swish")


@pytest.mark.parametrize(
    "shape", [(1, 5), (31, 5), (32, 5), (200, 5), (200, 2), (64, 16), (64, 17), (50, 1)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_and_row_sum_equal_numpy_reductions(shape, dtype):
    Z = np.random.RandomState(0).normal(scale=30, size=shape).astype(dtype)
    np.testing.assert_array_equal(activations.row_max(Z), Z.max(axis=1))
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(activations.row_sum(Z), Z.sum(axis=1), rtol=rtol, atol=1e-3)
    Z[shape[0] // 2, -1] = np.nan
    assert np.isnan(activations.row_max(Z)[shape[0] // 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_is_exact_for_large_strided_and_flat_arrays(dtype):
    rng = np.random.RandomState(0)
    big = rng.normal(size=(300, 300)).astype(dtype)  # more entries than one block of zeros
    strided = rng.normal(size=(300, 600)).astype(dtype)[:, ::2]
    flat = rng.normal(size=7).astype(dtype)
    for Z in (big, strided, flat, big[:0]):
        expected = np.maximum(Z, 0)
        assert ACTIVATIONS["relu"].forward(Z) is Z
        np.testing.assert_array_equal(Z, expected)
