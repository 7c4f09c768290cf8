"""Fitted models and parity checks shared by the ONNX tests (imported by them)."""

import functools
import warnings

import numpy as np
import pytest

onnxruntime = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

from sklearn.base import clone  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from sknet import MLPClassifier, MLPRegressor  # noqa: E402
from sknet.nn.activations import ACTIVATIONS as CORE_ACTIVATIONS  # noqa: E402

ACTIVATIONS = sorted(CORE_ACTIVATIONS)  # every hidden activation of the core
DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
TARGETS = {
    "binary": np.array([3, 7])[RNG.randint(0, 2, 60)],
    "binary-str": np.array(["no", "yes"])[RNG.randint(0, 2, 60)],
    "multiclass": RNG.randint(0, 4, 60),
    "multiclass-str": np.array(["cat", "dog", "emu"])[RNG.randint(0, 3, 60)],
    "multilabel-2": RNG.randint(0, 2, (60, 2)),
    "multilabel-3": RNG.randint(0, 2, (60, 3)),
    "regression": X @ RNG.randn(4) + RNG.randn(60),
    "regression-3": X @ RNG.randn(4, 3),
    "poisson": RNG.poisson(np.exp(X[:, 0] / 2)),
}
TASKS = list(TARGETS)


def frame():
    """A DataFrame of the kinds real pipelines start with, and the ONNX type of each column."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(1)
    columns = {
        "annual income": (X[:, 0] * 1000 + 5000, onnx.TensorProto.DOUBLE),
        "age": (rng.randint(18, 90, 60), onnx.TensorProto.INT64),
        "member": (X[:, 1] > 0, onnx.TensorProto.BOOL),
        "city": (rng.choice(["Lyon", "Oslo", "Pune"], 60).astype(object), onnx.TensorProto.STRING),
        "plan": (pd.Categorical(rng.choice(["basic", "pro"], 60)), onnx.TensorProto.STRING),
    }
    df = pd.DataFrame({name: values for name, (values, _) in columns.items()})
    return df, {name: elem_type for name, (_, elem_type) in columns.items()}


@functools.cache
def fitted_frame_pipeline(task, activation="relu"):
    """ColumnTransformer (scaled numbers, one-hot strings) and a network, fitted on ``frame``."""
    df, _ = frame()
    columns = ColumnTransformer(
        [
            ("num", StandardScaler(), ["annual income", "age", "member"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
        ]
    )
    network = clone(fitted(task, activation))  # unfitted, same parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(columns, network).fit(df, TARGETS[task])


@functools.cache
def fitted(task, activation="relu", dtype=np.float64, hidden_layer_sizes=(5, 3)):
    """An estimator fitted on ``X`` (as ``dtype``) for ``task``; cached."""
    params = dict(hidden_layer_sizes=hidden_layer_sizes, activation=activation)
    params.update(max_iter=30, random_state=0)
    if task.startswith(("regression", "poisson")):
        model = MLPRegressor(loss="poisson" if task == "poisson" else "squared_error", **params)
    else:
        model = MLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X.astype(dtype), TARGETS[task])


def run(onx, X):
    """All outputs of ``onx`` on ``X`` with onnxruntime's CPU provider."""
    session = onnxruntime.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_parity(model, onx, X, dtype):
    """ONNX outputs equal ``predict`` (labels) and ``predict_proba`` within tolerance."""
    onnx.checker.check_model(onx, full_check=True)
    outputs = run(onx, X)
    tol = TOLERANCE[np.dtype(dtype).type]
    if hasattr(model, "predict_proba"):
        label, proba = outputs
        np.testing.assert_array_equal(label, model.predict(X))
        assert proba.dtype == dtype
        np.testing.assert_allclose(proba, model.predict_proba(X), rtol=tol, atol=tol)
    else:
        (values,) = outputs
        expected = model.predict(X).reshape(len(X), -1)  # (N, 1) for one target, as skl2onnx
        assert values.shape == expected.shape and values.dtype == dtype
        np.testing.assert_allclose(values, expected, rtol=tol, atol=tol)
