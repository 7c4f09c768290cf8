"""The sknet graph: network spec, random architectures (hypothesis)."""

import copy
import warnings

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from hypothesis import given, settings
from hypothesis import strategies as st
from onnx_cases import (
    ACTIVATIONS,
    DTYPES,
    TARGETS,
    TASKS,
    TOLERANCE,
    MLPClassifier,
    MLPRegressor,
    X,
    fitted,
    run,
)

from sknet.onnx import to_onnx
from sknet.onnx._graph import NetworkSpec


@pytest.mark.parametrize(
    "task, expected",
    [
        ("binary", "binary"),
        ("multiclass-str", "multiclass"),
        ("multilabel-2", "multilabel"),
        ("regression", "regression"),
        ("regression-3", "regression"),
        ("poisson", "regression"),
    ],
)
def test_spec_task(task, expected):
    spec = NetworkSpec.from_estimator(fitted(task))
    assert spec.task == expected
    assert spec.n_features == X.shape[1]


def test_spec_rejects_unknown_activation():
    model = copy.copy(fitted("binary"))
    model.activation = "swish"
    with pytest.raises(ValueError, match="swish"):
        NetworkSpec.from_estimator(model)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    task=st.sampled_from(TASKS),
    dtype=st.sampled_from(DTYPES),
    n_features=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_random_architectures(sizes, activation, task, dtype, n_features, seed):
    """Random nets: probabilities / values within tolerance, labels equal off ties."""
    _check_parity(sizes, activation, task, dtype, n_features, seed)


@settings(max_examples=25, deadline=None)
@given(
    layers=st.lists(
        st.tuples(st.integers(1, 6), st.sampled_from(ACTIVATIONS), st.sampled_from([0.0, 0.3])),
        min_size=1,
        max_size=3,
    ),
    task=st.sampled_from(TASKS),
    dtype=st.sampled_from(DTYPES),
    n_features=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_random_per_layer_activations(layers, task, dtype, n_features, seed):
    """Each hidden layer with its own activation (dropout trains only): parity."""
    sizes, activations, dropout = (list(column) for column in zip(*layers))
    _check_parity(sizes, tuple(activations), task, dtype, n_features, seed, tuple(dropout))


def _check_parity(sizes, activation, task, dtype, n_features, seed, dropout=0.0):
    Xs = X[:, :n_features].astype(dtype)
    Estimator = MLPRegressor if task in ("regression", "regression-3", "poisson") else MLPClassifier
    params = {"loss": "poisson"} if task == "poisson" else {}
    params.update(hidden_layer_sizes=tuple(sizes), activation=activation, random_state=seed)
    model = Estimator(max_iter=5, dropout=dropout, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(Xs, TARGETS[task])
    outputs = run(to_onnx(model), Xs)
    tol = TOLERANCE[dtype]
    if Estimator is MLPRegressor:
        expected = model.predict(Xs).reshape(len(Xs), -1)
        np.testing.assert_allclose(outputs[0], expected, rtol=tol, atol=tol)
        return
    proba = model.predict_proba(Xs)
    np.testing.assert_allclose(outputs[1], proba, rtol=tol, atol=tol)
    clear = _clear_margin(proba, multilabel=TARGETS[task].ndim == 2, tol=tol)
    np.testing.assert_array_equal(outputs[0][clear], model.predict(Xs)[clear])


def test_each_hidden_layer_gets_its_own_operator():
    model = fitted("regression", activation=("tanh", "logistic"), hidden_layer_sizes=(5, 3))
    ops = [node.op_type for node in to_onnx(model).graph.node]
    assert ops.index("Tanh") < ops.index("Sigmoid")
    assert NetworkSpec.from_estimator(model).activations == ("tanh", "logistic")


def _clear_margin(proba, multilabel, tol):
    """Rows whose predicted label does not hinge on a rounding-level tie."""
    if multilabel:
        return np.abs(proba - 0.5).min(axis=1) > 10 * tol
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0] > 10 * tol
