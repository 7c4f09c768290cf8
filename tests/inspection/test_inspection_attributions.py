"""attributions(): shapes and target conventions, baselines, chunks, bad input."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from inspection_cases import TARGETS, X, network, outputs
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sknet import MLPClassifier, MLPRegressor
from sknet.inspection import _attributions, attributions

METHODS = ["gradient", "gradient_x_input", "integrated_gradients"]
N, D = X.shape


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("task", "target", "shape"),
    [
        ("binary", None, (N, D)),
        ("binary", "yes", (N, D)),
        ("multiclass", None, (N, D)),
        ("multiclass", "emu", (N, D)),
        ("multilabel", None, (N, D, 3)),
        ("multilabel", 2, (N, D)),
        ("regression", None, (N, D)),
        ("regression", 0, (N, D)),
        ("regression-2", None, (N, D, 2)),
        ("regression-2", 1, (N, D)),
        ("poisson", None, (N, D)),
    ],
)
def test_shapes(task, target, shape, method):
    A = attributions(network(task), X, method=method, target=target)
    assert A.shape == shape and A.dtype == np.float64 and np.isfinite(A).all()


@pytest.mark.parametrize("task", ["multilabel", "regression-2"])
def test_every_output_axis_stacks_the_single_targets(task):
    model = network(task)
    A = attributions(model, X)
    for k in range(A.shape[2]):
        np.testing.assert_array_equal(A[:, :, k], attributions(model, X, target=k))


@pytest.mark.parametrize("output", ["auto", "logit"])
def test_binary_default_explains_the_predicted_class(output):
    model = network("binary")
    yes = attributions(model, X, target="yes", output=output)
    no = attributions(model, X, target="no", output=output)
    np.testing.assert_allclose(no, -yes, rtol=1e-12, atol=1e-15)  # 1 - p, or -logit
    predicted = model.predict(X)[:, None]
    default = attributions(model, X, output=output)
    np.testing.assert_array_equal(default, np.where(predicted == "yes", yes, no))


def test_multiclass_default_and_per_row_targets():
    model = network("multiclass")
    per_class = {c: attributions(model, X, target=c) for c in model.classes_}
    predicted = model.predict(X)
    expected = np.stack([per_class[c][i] for i, c in enumerate(predicted)])
    np.testing.assert_allclose(attributions(model, X), expected, rtol=1e-12)
    np.testing.assert_allclose(attributions(model, X, target=predicted), expected, rtol=1e-12)


def test_probability_gradients_sum_to_zero_over_classes():
    """The probabilities sum to 1, so their gradients sum to 0."""
    model = network("multiclass", "gelu")
    total = sum(attributions(model, X, method="gradient", target=c) for c in model.classes_)
    np.testing.assert_allclose(total, 0, atol=1e-12)


def test_baselines():
    model = network("regression", "tanh")
    mean = attributions(model, X, baseline="mean")
    np.testing.assert_array_equal(mean, attributions(model, X, baseline=X.mean(axis=0)))
    per_row = attributions(model, X, baseline=X[::-1])
    assert per_row.shape == (N, D) and not np.allclose(per_row, mean)
    assert np.all(attributions(model, X, baseline=X) == 0)
    zero = attributions(model, X, method="gradient_x_input")
    gradient = attributions(model, X, method="gradient")
    np.testing.assert_array_equal(zero, gradient * X)  # no preprocessing: baseline 0


def test_standard_scaler_baseline_is_the_training_mean():
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(5,), max_iter=20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X * 3 + 7, TARGETS["regression"])
    default = attributions(model, X * 3 + 7)
    explicit = attributions(model, X * 3 + 7, baseline=model[0].mean_)
    np.testing.assert_allclose(default, explicit, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["gelu", "relu", "elu"])
@pytest.mark.parametrize("baseline", ["mean", "per-row"])
@pytest.mark.parametrize("method", METHODS)
def test_chunks_and_step_chunks_change_nothing(method, baseline, activation, monkeypatch):
    """Also for the rows that integrated gradients recompute (exactly with
    relu, on panels with elu)."""
    model = network("multilabel", activation, hidden=(7,))
    kwargs = dict(method=method, n_steps=9, baseline=X[::-1] if baseline == "per-row" else "mean")
    whole = attributions(model, X, **kwargs)
    monkeypatch.setattr(_attributions, "_MAX_ELEMENTS", 100)  # 3 rows, or 3 steps, a pass
    chunked = attributions(model, X, **kwargs)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-14)


def test_sparse_input_gives_the_dense_result():
    model = network("multiclass", "tanh")
    X_sparse = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0))
    dense = attributions(model, X_sparse.toarray())
    np.testing.assert_array_equal(attributions(model, X_sparse), dense)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 6),
    d=st.integers(1, 5),
    hidden=st.lists(st.integers(1, 4), max_size=2),
    task=st.sampled_from(["multiclass", "regression-2", "binary"]),
    method=st.sampled_from(METHODS),
)
def test_any_shape(n, d, hidden, task, method):
    rng = np.random.RandomState(n * 10 + d)
    X_ = rng.randn(max(n, 6), d)
    y = TARGETS[task][: len(X_)]
    if task == "multiclass":
        y = np.array(["cat", "dog", "emu"] * 2)
    Estimator = MLPRegressor if task.startswith("regression") else MLPClassifier
    model = Estimator(hidden_layer_sizes=hidden, activation="tanh", max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_, y)
    rows = X_[:n]
    A = attributions(model, rows, method=method)
    assert A.shape == ((n, d, 2) if task == "regression-2" else (n, d))
    assert np.isfinite(A).all()
    if method == "integrated_gradients" and task == "regression-2":
        change = outputs(model, rows) - outputs(model, np.zeros((1, d)))
        np.testing.assert_allclose(A.sum(axis=1), change, rtol=1e-2, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(target="bird"), r"target \['bird'\] is not among the classes_"),
        (dict(target=["cat"] * 3), r"one value or one per row of X \(40\)"),
        (dict(method="gradient", return_completeness=True), "needs method="),
        (dict(baseline=np.zeros(3)), r"baseline has shape \(1, 3\); it must have shape \(4,\)"),
        (dict(baseline=np.zeros((2, 4))), r"or \(40, 4\) like X"),
    ],
)
def test_bad_arguments_are_explained(kwargs, message):
    with pytest.raises(ValueError, match=message):
        attributions(network("multiclass"), X, **kwargs)


@pytest.mark.parametrize("target", [2, -1, 0.5, "first"])
def test_regression_target_must_be_an_output_index(target):
    with pytest.raises(ValueError, match=r"output index in \[0, 2\)"):
        attributions(network("regression-2"), X, target=target)


def test_invalid_parameters_are_refused_the_scikit_learn_way():
    with pytest.raises(InvalidParameterError, match="'method' parameter"):
        attributions(network("regression"), X, method="shap")
    with pytest.raises(InvalidParameterError, match="'n_steps' parameter"):
        attributions(network("regression"), X, n_steps=0)
    for tol in (0, -0.1, "1%"):
        with pytest.raises(InvalidParameterError, match="'completeness_tol' parameter"):
            attributions(network("regression"), X, completeness_tol=tol)


def test_models_that_are_not_networks_are_refused():
    logistic = LogisticRegression().fit(X, TARGETS["binary"])
    with pytest.raises(ValueError, match=r"needs an MLPClassifier .*got LogisticRegression"):
        attributions(make_pipeline(StandardScaler(), logistic), X)
    with pytest.raises(NotFittedError):
        attributions(MLPClassifier(), X)


def test_bad_rows_get_the_estimators_own_messages():
    with pytest.raises(ValueError, match="X has 3 features, but MLPClassifier is expecting 4"):
        attributions(network("multiclass"), X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        attributions(network("multiclass"), np.where(X > 2, np.nan, X))


def test_inspection_reads_fitted_attributes_and_the_activation_registry_only():
    import importlib
    import inspect
    import pkgutil

    import sknet.inspection

    names = [m.name for m in pkgutil.iter_modules(sknet.inspection.__path__)]
    assert {"_attributions", "_network", "_paths", "_pieces"} <= set(names)
    for name in names:
        source = inspect.getsource(importlib.import_module(f"sknet.inspection.{name}"))
        assert "_estimators" not in source, name
        imports = [ln for ln in source.splitlines() if ln.startswith(("from ..", "import sknet"))]
        assert imports in ([], ["from ..nn import activations"]), (name, imports)


def test_an_unknown_output_activation_is_named():
    import copy

    model = copy.deepcopy(network("regression"))
    model.out_activation_ = "softsign"
    with pytest.raises(ValueError, match="output activation 'softsign'"):
        attributions(model, X)
