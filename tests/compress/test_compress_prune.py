import copy

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier, MLPRegressor
from sknet.compress import prune
from sknet.nn.activations import ACTIVATIONS

X_CLF, Y_CLF = make_classification(
    120, 6, n_informative=4, n_redundant=0, n_classes=3, random_state=0
)
X_REG, Y_REG = make_regression(120, 6, noise=0.1, random_state=0)
Y_REG = Y_REG / Y_REG.std()


def _fitted(kind="classifier", activation="relu", dtype=np.float64, hidden=(8, 6), **params):
    X, y = (X_CLF, Y_CLF) if kind == "classifier" else (X_REG, Y_REG)
    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    params = {"max_iter": 40, "learning_rate_init": 0.01, "random_state": 0, **params}
    model = cls(hidden_layer_sizes=hidden, activation=activation, dtype=dtype, **params)
    return model.fit(X, y), X.astype(dtype), y


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def _loss(model, X, y):
    if hasattr(model, "predict_proba"):
        return log_loss(y, model.predict_proba(X))
    return mean_squared_error(y, model.predict(X))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_pruned_shapes_and_attributes_agree_and_the_input_is_untouched(kind, solver):
    model, X, y = _fitted(kind, solver=solver, dtype=np.float32, hidden=(8, 6))
    before = copy.deepcopy(model.__dict__)
    pruned = prune(model, X, y, amount=(0.5, 0.34), fine_tune_iter=3)

    assert type(pruned) is type(model) and pruned is not model
    assert pruned.hidden_layer_sizes == (4, 4)
    assert [W.shape for W in pruned.coefs_] == [(6, 4), (4, 4), (4, model.n_outputs_)]
    assert [b.shape for b in pruned.intercepts_] == [(4,), (4,), (model.n_outputs_,)]
    assert {W.dtype for W in pruned.coefs_ + pruned.intercepts_} == {np.dtype(np.float32)}
    assert pruned.n_layers_ == model.n_layers_ and pruned.n_features_in_ == 6
    assert pruned.get_params()["warm_start"] is False and pruned.max_iter == 40
    # The training attributes describe the fine-tuning run (lbfgs may stop sooner).
    assert pruned.n_iter_ == 3 if solver != "lbfgs" else 1 <= pruned.n_iter_ <= 3
    assert _outputs(pruned, X).shape == _outputs(model, X).shape
    # The input estimator is exactly as it was.
    assert model.hidden_layer_sizes == (8, 6) and model.__dict__.keys() == before.keys()
    for W, W0 in zip(model.coefs_ + model.intercepts_, before["coefs_"] + before["intercepts_"]):
        np.testing.assert_array_equal(W, W0)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_amount_zero_keeps_the_predictions(activation, kind, dtype):
    model, X, y = _fitted(kind, activation, dtype)
    pruned = prune(model, X, y, amount=0.0, fine_tune_iter=0)
    assert pruned.hidden_layer_sizes == (8, 6)
    np.testing.assert_array_equal(_outputs(pruned, X), _outputs(model, X))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("criterion", ["activation", "magnitude"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_removing_units_without_outgoing_weights_keeps_the_predictions(activation, criterion, kind):
    model, X, y = _fitted(kind, activation)
    dead = [np.array([0, 3, 5, 6]), np.array([1, 2, 4])]  # half of (8, 6)
    for layer, units in enumerate(dead):
        model.coefs_[layer + 1][units] = 0
    pruned = prune(model, X, y, amount=0.5, criterion=criterion, fine_tune_iter=0)
    np.testing.assert_allclose(_outputs(pruned, X), _outputs(model, X), rtol=1e-10, atol=1e-12)
    if criterion == "magnitude":  # only the dead units have zero norm
        alive = np.setdiff1d(np.arange(8), dead[0])
        np.testing.assert_array_equal(pruned.coefs_[0], model.coefs_[0][:, alive])


@pytest.mark.parametrize(("criterion", "kept"), [("magnitude", [0, 1]), ("activation", [0, 3])])
def test_the_criterion_keeps_the_most_important_units(criterion, kept):
    # One input fixed at 1 and identity units: unit j's activation is j + 1.
    # Outgoing norms 3, 1, 0.5, 0.9: magnitude keeps units 0 and 1;
    # activation x norm = 3, 2, 1.5, 3.6 keeps units 0 and 3.
    X, y = np.ones((20, 1)), np.arange(20) % 2
    model = MLPClassifier((4,), activation="identity", max_iter=1).fit(X, y)
    model.coefs_ = [np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[3.0], [1.0], [0.5], [0.9]])]
    model.intercepts_ = [np.zeros(4), np.zeros(1)]
    pruned = prune(model, X, y, amount=0.5, criterion=criterion, fine_tune_iter=0)
    np.testing.assert_array_equal(pruned.coefs_[0], model.coefs_[0][:, kept])
    np.testing.assert_array_equal(pruned.coefs_[1], model.coefs_[1][kept])
    # Units constant on X are replaced exactly by their mean, in the next bias.
    np.testing.assert_allclose(pruned.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fine_tuning_continues_from_the_pruned_weights_and_lowers_the_loss(kind, solver):
    model, X, y = _fitted(kind, "tanh", solver=solver, max_iter=200, hidden=(16,))
    raw = prune(model, X, y, amount=0.75, fine_tune_iter=0)
    tuned = prune(model, X, y, amount=0.75, fine_tune_iter=10)
    assert _loss(tuned, X, y) < _loss(raw, X, y)
    # The same as 10 warm-started epochs of the estimator's own solver from
    # the pruned weights, with a fresh optimizer state.
    raw.set_params(warm_start=True, max_iter=10).fit(X, y)
    for W, W_raw in zip(tuned.coefs_ + tuned.intercepts_, raw.coefs_ + raw.intercepts_):
        np.testing.assert_allclose(W, W_raw)


def test_a_pipeline_keeps_its_first_steps_and_prunes_the_network():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(X_CLF * 100, columns=[f"f{i}" for i in range(6)])
    y = np.array(["ant", "bee", "cat"])[Y_CLF]
    network = MLPClassifier((8,), solver="lbfgs", max_iter=100, random_state=0)
    pipe = make_pipeline(StandardScaler(), network)
    pipe.fit(X, y)
    same = prune(pipe, X, y, amount=0.0, fine_tune_iter=0)
    np.testing.assert_array_equal(same.predict_proba(X), pipe.predict_proba(X))
    pruned = prune(pipe, X, y, amount=0.5)
    assert pruned is not pipe and pruned[-1].hidden_layer_sizes == (4,)
    assert pipe[-1].hidden_layer_sizes == (8,) and pipe[-1].coefs_[0].shape == (6, 8)
    np.testing.assert_array_equal(pruned[0].mean_, pipe[0].mean_)
    np.testing.assert_array_equal(pruned.classes_, ["ant", "bee", "cat"])
    # The network was ranked and fine-tuned on X as the scaler passes it on.
    alone = prune(pipe[-1], pipe[0].transform(X), y, amount=0.5)
    for W, W_alone in zip(pruned[-1].coefs_, alone.coefs_):
        np.testing.assert_allclose(W, W_alone)


def test_sparse_input_and_sample_weight():
    model, X, y = _fitted("classifier", hidden=(8,))
    w = np.where(np.arange(len(y)) < 60, 1.0, 0.0)
    dense = prune(model, X, y, amount=0.5, fine_tune_iter=2, sample_weight=w)
    sparse = prune(model, sp.csr_matrix(X), y, amount=0.5, fine_tune_iter=2, sample_weight=w)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0])
    # Weights change the ranking: units are ranked on the first 60 rows only.
    subset = prune(model, X[:60], y[:60], amount=0.5, fine_tune_iter=0)
    weighted = prune(model, X, y, amount=0.5, fine_tune_iter=0, sample_weight=w)
    np.testing.assert_allclose(weighted.coefs_[0], subset.coefs_[0])
    np.testing.assert_allclose(weighted.intercepts_[1], subset.intercepts_[1])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amount": 1.0}, "amount"),
        ({"amount": -0.1}, "amount"),
        ({"amount": (0.5,)}, "tuple of 2 such fractions"),
        ({"amount": (0.5, 1.2)}, "tuple of 2 such fractions"),
        ({"criterion": "gradient"}, "criterion"),
        ({"fine_tune_iter": -1}, "fine_tune_iter"),
    ],
)
def test_bad_parameters_are_refused_clearly(kwargs, match):
    model, X, y = _fitted(hidden=(4, 4))
    with pytest.raises(ValueError, match=match):
        prune(model, X, y, **kwargs)


def test_bad_estimators_and_inputs_are_refused_clearly():
    _, X, y = _fitted(hidden=(4,))
    with pytest.raises(NotFittedError):
        prune(MLPClassifier((4,)), X, y)
    with pytest.raises(TypeError, match="sknet MLPClassifier or MLPRegressor"):
        prune(SklearnMLPClassifier((4,), max_iter=5).fit(X, y), X, y)
    linear = MLPClassifier((), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="no hidden layer"):
        prune(linear, X, y)
    model = MLPClassifier((4,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="needs y to fine-tune"):
        prune(model, X, None)
    assert prune(model, X, None, fine_tune_iter=0).hidden_layer_sizes == (2,)
    with pytest.raises(ValueError, match="features"):
        prune(model, X[:, :3], y)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_pruned_networks_export_to_smaller_onnx_files_with_the_same_outputs(kind):
    pytest.importorskip("onnxruntime")
    from sknet.onnx import OnnxPredictor, to_onnx

    model, X, y = _fitted(kind, dtype=np.float32, hidden=(256,))
    pruned = prune(model, X, y, amount=0.75, fine_tune_iter=2)
    sizes = {}
    for name, net in (("original", model), ("pruned", pruned)):
        for compress in (None, "int8"):
            onx = to_onnx(net, X[:1], compress=compress)
            sizes[name, compress] = len(onx.SerializeToString())
    onx = to_onnx(pruned, X[:1])
    runtime = OnnxPredictor(onx, providers=["CPUExecutionProvider"])
    got = runtime.predict_proba(X) if kind == "classifier" else runtime.predict(X)
    np.testing.assert_allclose(got, _outputs(pruned, X), rtol=1e-5, atol=1e-5)
    assert sizes["pruned", None] < 0.4 * sizes["original", None]
    assert sizes["pruned", "int8"] < min(sizes["pruned", None], sizes["original", "int8"])
