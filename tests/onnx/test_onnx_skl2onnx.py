"""skl2onnx.to_onnx on pipelines and composites holding sknet estimators."""

import functools

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
    onnx,
    run,
)
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
)
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import StackingRegressor, VotingClassifier
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
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
    weights = [init.data_type for init in onx.graph.initializer if init.name.startswith("coef")]
    assert weights == [10, 10, 1]  # FLOAT16 hidden layers, the output layer in FLOAT
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
    np.testing.assert_allclose(values, pipe.predict(Xf).reshape(-1, 1), atol=1e-5)


def test_stacking_regressor():
    """One target is (N, 1), as for every skl2onnx regressor: stacking concatenates on axis 1."""
    Xf = X.astype(np.float32)
    stack = StackingRegressor(
        [("net", MLPRegressor(max_iter=20, random_state=0)), ("linear", LinearRegression())]
    ).fit(Xf, X[:, 0])
    (values,) = run(skl2onnx.to_onnx(stack, Xf[:1]), Xf)
    np.testing.assert_allclose(values, stack.predict(Xf).reshape(-1, 1), atol=1e-5)


# Differential test: sknet's converter against skl2onnx's converter of
# scikit-learn's MLP, on twin networks (the same weights), for every input type
# and option skl2onnx accepts for scikit-learn's MLP.
INPUT_TYPES = {
    "float": (FloatTensorType, np.float32),
    "double": (DoubleTensorType, np.float64),
    "int64": (Int64TensorType, np.int64),
    "bool": (BooleanTensorType, np.bool_),
}
CLASSIFIER_OPTIONS = [
    None,
    {"zipmap": True},
    {"zipmap": False},
    {"zipmap": "columns"},
    {"nocl": True},
    {"zipmap": False, "nocl": True},
    {"zipmap": "columns", "nocl": True},
    {"zipmap": False, "output_class_labels": True},
]
XI = np.random.RandomState(2).randint(0, 4, (40, 3))  # integer features


def skl2onnx_rejects(input_type, options):
    """What skl2onnx refuses for every classifier: ZipMap of doubles, columns named by index."""
    options = options or {}
    zipmap = options.get("zipmap", True)
    return (zipmap is True and input_type == "double") or (
        zipmap == "columns" and options.get("nocl")
    )


@functools.cache
def twins(labels):
    """scikit-learn's MLP fitted on integer X and an sknet network with its weights."""
    y = {"int": np.array([3, 7])[XI[:, 0] % 2], "str": np.array(["a", "b", "c"])[XI.sum(1) % 3]}
    if labels == "regression":
        target = XI @ [1.0, -2.0, 0.5]
        sk = SkMLPRegressor(hidden_layer_sizes=(5,), max_iter=200, random_state=0).fit(XI, target)
        twin = MLPRegressor(hidden_layer_sizes=(5,), max_iter=1).fit(XI, target)
    else:
        sk = SkMLPClassifier((5,), max_iter=200, random_state=0).fit(XI, y[labels])
        twin = MLPClassifier((5,), max_iter=1).fit(XI, y[labels])
    twin.coefs_ = [W.copy() for W in sk.coefs_]
    twin.intercepts_ = [b.copy() for b in sk.intercepts_]
    assert twin.out_activation_ == sk.out_activation_
    return sk, twin


def convert_and_run(model, input_type, options, keyed):
    """(output names, output types, outputs) or the exception raised on the way."""
    tensor, dtype = INPUT_TYPES[input_type]
    key = type(model) if keyed == "type" else id(model)
    try:
        onx = skl2onnx.to_onnx(
            model,
            initial_types=[("X", tensor([None, 3]))],
            options=None if options is None else {key: options},
        )
        onnx.checker.check_model(onx, full_check=True)
        Xin = (XI % 2 == 1) if input_type == "bool" else XI.astype(dtype)
        outputs = run(onx, Xin)
    except Exception as error:  # conversion, checker or onnxruntime
        return error
    return [o.name for o in onx.graph.output], [o.type for o in onx.graph.output], outputs


def assert_same_outputs(mine, theirs):
    names, types, outputs = mine
    assert names == theirs[0]
    assert types == theirs[1]
    for got, want in zip(outputs, theirs[2]):
        if isinstance(want, list):  # ZipMap: a list of {class: probability}
            assert [d.keys() for d in got] == [d.keys() for d in want]
            got = [list(d.values()) for d in got]
            want = [list(d.values()) for d in want]
        got, want = np.asarray(got), np.asarray(want)
        assert got.dtype == want.dtype and got.shape == want.shape
        if got.dtype.kind in "fc":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("keyed", ["type", "id"])
@pytest.mark.parametrize("options", CLASSIFIER_OPTIONS, ids=str)
@pytest.mark.parametrize("input_type", INPUT_TYPES)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_classifier_converter_is_a_drop_in(labels, input_type, options, keyed):
    sk, twin = twins(labels)
    theirs = convert_and_run(sk, input_type, options, keyed)
    mine = convert_and_run(twin, input_type, options, keyed)
    if skl2onnx_rejects(input_type, options):
        assert isinstance(theirs, Exception) and isinstance(mine, Exception)
        return
    assert not isinstance(mine, Exception), mine
    nocl = (options or {}).get("nocl", False)
    if not isinstance(theirs, Exception):
        if nocl:  # skl2onnx's MLP converter ignores nocl; sknet's outputs class indices
            names, types, (label, *others) = theirs
            theirs = names, types, [np.searchsorted(sk.classes_, label), *others]
        assert_same_outputs(mine, theirs)
        return
    # skl2onnx's MLP converter makes an invalid model for nocl with string labels.
    assert nocl and labels == "str", theirs
    Xin = (XI % 2 == 1) if input_type == "bool" else XI
    np.testing.assert_array_equal(sk.classes_[mine[2][0]], sk.predict(Xin.astype(float)))


@pytest.mark.parametrize("input_type", INPUT_TYPES)
def test_regressor_converter_is_a_drop_in(input_type):
    sk, twin = twins("regression")
    assert_same_outputs(
        convert_and_run(twin, input_type, None, "id"), convert_and_run(sk, input_type, None, "id")
    )
