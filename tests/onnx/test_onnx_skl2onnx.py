"""skl2onnx.to_onnx on pipelines and composites holding sknet estimators."""

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

import skl2onnx
from onnx_cases import (
    TASKS,
    MLPClassifier,
    MLPRegressor,
    X,
    assert_parity,
    fitted,
    run,
)
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknet.onnx


def test_registered_with_skl2onnx():
    from skl2onnx._supported_operators import sklearn_operator_name_map

    assert MLPClassifier in sklearn_operator_name_map
    assert MLPRegressor in sklearn_operator_name_map


def test_pipeline_default_options_give_zipmap():
    """skl2onnx's own default (ZipMap) is kept when skl2onnx.to_onnx is called."""
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0))
    pipe.fit(X, np.array(["a", "b", "c"])[np.arange(60) % 3])
    onx = skl2onnx.to_onnx(pipe, X[:1].astype(np.float32))
    labels, probabilities = run(onx, X.astype(np.float32))
    np.testing.assert_array_equal(labels, pipe.predict(X.astype(np.float32)))
    assert probabilities[0].keys() == {"a", "b", "c"}


@pytest.mark.parametrize("task", TASKS)
def test_pipeline_without_zipmap(task):
    model = fitted(task)
    pipe = make_pipeline(StandardScaler().fit(X), model)
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    assert_parity(pipe, skl2onnx.to_onnx(pipe, X[:1], options=options), X, np.float64)


def test_nocl_with_string_labels_loads_and_runs():
    model = fitted("multiclass-str")
    onx = skl2onnx.to_onnx(model, X[:1], options={id(model): {"zipmap": False, "nocl": True}})
    labels, _ = run(onx, X)
    np.testing.assert_array_equal(model.classes_[labels], model.predict(X))


def test_output_class_labels():
    model = fitted("multiclass-str")
    options = {id(model): {"zipmap": False, "output_class_labels": True}}
    _labels, _, classes = run(skl2onnx.to_onnx(model, X[:1], options=options), X)
    np.testing.assert_array_equal(classes, model.classes_)


def test_float16_option():
    model = fitted("multiclass", "tanh", np.float32)
    options = {id(model): {"zipmap": False, "float16": True}}
    onx = skl2onnx.to_onnx(model, X[:1].astype(np.float32), options=options)
    weights = [init for init in onx.graph.initializer if init.name.startswith("coef")]
    assert weights and all(init.data_type == 10 for init in weights)  # FLOAT16
    _, probabilities = run(onx, X.astype(np.float32))
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities, model.predict_proba(X.astype(np.float32)), atol=5e-3)


def test_composites():
    """A VotingClassifier of sknet networks and a ColumnTransformer in front of one."""
    Xf = X.astype(np.float32)
    y = np.arange(60) % 3
    voting = VotingClassifier(
        [(f"net{i}", MLPClassifier(max_iter=20, random_state=i)) for i in range(2)],
        voting="soft",
        flatten_transform=False,
    ).fit(Xf, y)
    onx = sknet.onnx.to_onnx(voting, Xf[:1])
    labels, probabilities = run(onx, Xf)
    np.testing.assert_array_equal(labels, voting.predict(Xf))
    np.testing.assert_allclose(probabilities, voting.predict_proba(Xf), atol=1e-5)

    columns = ColumnTransformer(
        [("scale", StandardScaler(), [0, 1]), ("keep", "passthrough", [2, 3])]
    )
    pipe = make_pipeline(columns, MLPRegressor(max_iter=20, random_state=0)).fit(Xf, X[:, 0])
    (values,) = run(sknet.onnx.to_onnx(pipe, Xf[:1]), Xf)
    np.testing.assert_allclose(values, pipe.predict(Xf), atol=1e-5)
