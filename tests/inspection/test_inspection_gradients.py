"""The three methods against finite differences, on every activation and output."""

import copy
import warnings

import numpy as np
import pytest
from inspection_cases import (
    ACTIVATIONS,
    TARGETS,
    TASKS,
    X,
    explained_columns,
    network,
    numeric_gradient,
    outputs,
)
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from sknet import MLPClassifier, MLPRegressor
from sknet.inspection import attributions
from sknet.inspection._network import hidden_activations
from sknet.nn.activations import ACTIVATIONS as CORE_ACTIVATIONS
from sknet.nn.activations import OUTPUT_ACTIVATIONS

ROWS = X[:6]
BASELINE = np.linspace(-0.5, 0.5, X.shape[1])


def _targets(model, task, n, seed=1):
    """One target per row: a label for classifiers, an output index otherwise."""
    rng = np.random.RandomState(seed)
    if task in ("binary", "multiclass"):
        return rng.choice(model.classes_, n)
    return rng.randint(0, outputs(model, ROWS).shape[1], n)


@pytest.mark.parametrize("output", ["auto", "logit"])
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_method_matches_finite_differences(activation, task, output):
    model = network(task, activation)
    logit = output == "logit"
    target = _targets(model, task, len(ROWS))
    columns = explained_columns(model, task, target)

    def grad_at(points):
        G = numeric_gradient(lambda Z: outputs(model, Z, logit), points)
        return G[np.arange(len(points)), :, np.tile(columns, len(points) // len(ROWS))]

    expected = grad_at(ROWS)
    kwargs = dict(target=target, output=output, baseline=BASELINE)
    gradient = attributions(model, ROWS, method="gradient", **kwargs)
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-8)
    product = attributions(model, ROWS, method="gradient_x_input", **kwargs)
    np.testing.assert_allclose(product, expected * (ROWS - BASELINE), rtol=1e-5, atol=1e-8)

    # Integrated gradients: the documented Gauss-Legendre rule (alone, with
    # completeness_tol=None) applied to finite-difference gradients along the path.
    nodes, weights = np.polynomial.legendre.leggauss(8)
    alphas, weights = (nodes + 1) / 2, weights / 2
    path = np.concatenate([BASELINE + a * (ROWS - BASELINE) for a in alphas])
    along = grad_at(path).reshape(len(alphas), len(ROWS), -1)
    expected_ig = np.einsum("s,srd->rd", weights, along) * (ROWS - BASELINE)
    ig = attributions(model, ROWS, n_steps=8, completeness_tol=None, **kwargs)
    np.testing.assert_allclose(ig, expected_ig, rtol=1e-5, atol=1e-8)


def _completeness_case(activation, task, dtype):
    """Attributions at the defaults, their reported error, and (f(x), f(b))
    read from the model's own predictions."""
    model = network(task, activation, hidden=(8, 6), dtype=dtype)
    target = _targets(model, task, len(X))
    X_, B_ = X.astype(dtype), BASELINE.astype(dtype)
    A, error = attributions(model, X_, target=target, baseline=B_, return_completeness=True)
    columns, rows = explained_columns(model, task, target), np.arange(len(X))
    f_x, f_b = outputs(model, X_)[rows, columns], outputs(model, B_[None, :])[0, columns]
    return A, error, f_x, f_b


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_integrated_gradients_complete(activation, task):
    """Each row's attributions sum to f(x) - f(baseline) within 1% of it at
    the defaults, on every row, for every activation: exactly for relu and
    leaky_relu (their gradient jumps along the path, where the plain
    50-point rule missed by up to 30x), by refining rows elsewhere."""
    A, error, f_x, f_b = _completeness_case(activation, task, np.float64)
    gap = np.abs(A.sum(axis=1) - (f_x - f_b))
    np.testing.assert_allclose(error, gap / np.abs(f_x - f_b), rtol=1e-6, atol=1e-9)
    assert error.max() < 0.01


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression-2", "poisson"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_integrated_gradients_complete_in_float32(activation, task):
    """float32 networks: within 1%, or within the documented rounding floor
    (4 eps of |f(x)| + |f(b)|) where f(x) - f(b) is that small."""
    A, error, f_x, f_b = _completeness_case(activation, task, np.float32)
    assert A.dtype == np.float32
    floor = 4 * np.finfo(np.float32).eps * (np.abs(f_x) + np.abs(f_b))
    with np.errstate(divide="ignore"):
        allowed = 0.01 + 1.5 * floor / np.abs(f_x - f_b)  # 1.5: recomputed after, in float32
    np.testing.assert_array_less(error, allowed)


def test_completeness_error_is_measured_not_assumed():
    """Too few steps on a curved network: the reported error says so."""
    model = network("regression", "tanh", hidden=(8, 6))
    kwargs = dict(baseline=BASELINE, return_completeness=True, completeness_tol=None)
    _, coarse = attributions(model, X, n_steps=1, **kwargs)
    _, fine = attributions(model, X, n_steps=50, **kwargs)
    assert coarse.max() > 0.01 > fine.max()


@pytest.mark.parametrize("method", ["gradient_x_input", "integrated_gradients"])
@pytest.mark.parametrize("task", ["regression", "regression-2", "binary"])
def test_linear_model_attributions_are_coef_times_displacement(task, method):
    """Without hidden layers the logit is x @ coef + b: both methods give
    coef * (x - baseline), exactly (integrated gradients up to rounding of
    the quadrature weights, which sum to 1)."""
    model = network(task, hidden=())
    coef = model.coefs_[0]
    A = attributions(model, X, method=method, output="logit", baseline=BASELINE, target=None)
    if task == "binary":  # explained: the predicted class's log-odds
        sign = np.where(model.predict(X) == model.classes_[1], 1.0, -1.0)
        expected = sign[:, None] * coef[:, 0] * (X - BASELINE)
    elif task == "regression":
        expected = coef[:, 0] * (X - BASELINE)
    else:
        expected = coef[None, :, :] * (X - BASELINE)[:, :, None]
    if method == "gradient_x_input":
        np.testing.assert_array_equal(A, expected)
    else:
        np.testing.assert_allclose(A, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("method", ["gradient", "gradient_x_input", "integrated_gradients"])
@pytest.mark.parametrize("task", ["multiclass", "poisson"])
def test_float32_model_attributes_in_float32(task, method):
    m64 = network(task, "gelu")
    m32 = network(task, "gelu", dtype=np.float32)
    A32 = attributions(m32, X.astype(np.float32), method=method, baseline="mean")
    A64 = attributions(m64, X, method=method, baseline="mean")
    assert A32.dtype == np.float32 and A64.dtype == np.float64
    np.testing.assert_allclose(A32, A64, rtol=2e-3, atol=2e-5)


def test_per_layer_activations_are_read_from_a_name_or_a_tuple():
    assert [a.name for a in hidden_activations("tanh", 2)] == ["tanh", "tanh"]
    names = tuple(sorted(CORE_ACTIVATIONS))[:2]
    assert [a.name for a in hidden_activations(names, 2)] == list(names)
    with pytest.raises(ValueError, match="one name per hidden layer"):
        hidden_activations(("relu",), 2)
    with pytest.raises(ValueError, match="Unknown activation"):
        hidden_activations("swish-of-the-future", 1)


def test_per_layer_activations_match_finite_differences():
    """A network whose hidden layers use different activations (an estimator
    with a tuple ``activation``, as a later feature allows)."""
    model = copy.deepcopy(network("multiclass", "tanh"))
    model.activation = ("gelu", "logistic")

    def proba(X_):  # the forward pass written out, from the core's registry
        A = X_
        for W, b, name in zip(model.coefs_, model.intercepts_, model.activation):
            A = CORE_ACTIVATIONS[name].forward(A @ W + b)
        return OUTPUT_ACTIVATIONS["softmax"](A @ model.coefs_[-1] + model.intercepts_[-1])

    target = np.repeat(model.classes_[:2], 3)
    columns = np.searchsorted(model.classes_, target)
    expected = numeric_gradient(proba, ROWS)[np.arange(6), :, columns]
    A = attributions(model, ROWS, method="gradient", target=target)
    np.testing.assert_allclose(A, expected, rtol=1e-5, atol=1e-8)


def test_scikit_learn_mlp_works_too():
    model = SkMLPClassifier(hidden_layer_sizes=(6,), activation="tanh", max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, TARGETS["multiclass"])
    expected = numeric_gradient(model.predict_proba, ROWS)
    A = attributions(model, ROWS, method="gradient", target="dog")
    np.testing.assert_allclose(A, expected[:, :, 1], rtol=1e-5, atol=1e-8)


def _informative_first(Estimator, seed):
    X_, y = make_classification(
        n_samples=400,
        n_features=10,
        n_informative=4,
        n_redundant=0,
        random_state=seed,
        shuffle=False,
    )
    model = Estimator(hidden_layer_sizes=(16,), max_iter=500, random_state=0, alpha=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X_, y), X_


def _top_four(model, X_, method):
    importance = np.abs(attributions(model, X_, method=method, baseline="mean")).mean(axis=0)
    return set(np.argsort(-importance)[:4].tolist())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_informative_features_rank_above_noise(Estimator, seed):
    """make_classification(shuffle=False) puts the 4 informative features
    first; integrated gradients rank them above the 6 noise features."""
    model, X_ = _informative_first(Estimator, seed)
    assert _top_four(model, X_, "integrated_gradients") == {0, 1, 2, 3}


def test_every_method_ranks_informative_features_first():
    model, X_ = _informative_first(MLPClassifier, 0)
    for method in ("gradient", "gradient_x_input", "integrated_gradients"):
        assert _top_four(model, X_, method) == {0, 1, 2, 3}, method
