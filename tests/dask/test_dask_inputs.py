"""What a user brings: dask DataFrames, string and multilabel targets, NumPy, bad input."""

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification

from sknet import MLPClassifier, MLPRegressor
from sknet.dask import DataParallel

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def lbfgs(**params):
    return MLPClassifier((6,), solver="lbfgs", max_iter=25, random_state=0, **params)


def test_dask_dataframe_with_string_labels(client, blobs):
    X, y = blobs
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]).assign(label=names)
    ddf = dd.from_pandas(frame, npartitions=3)
    features = ddf.drop(columns="label")
    model = DataParallel(lbfgs()).fit(features, ddf["label"])
    local = lbfgs().fit(frame.drop(columns="label"), frame["label"])

    assert_array_equal(model.classes_, local.classes_)
    assert_array_equal(model.feature_names_in_, local.feature_names_in_)
    assert model.estimator_.loss_ == pytest.approx(local.loss_, rel=1e-8)
    predicted = model.predict(features)
    assert isinstance(predicted, da.Array)
    assert_array_equal(predicted.compute(), local.predict(frame.drop(columns="label")))
    assert model.score(features, ddf["label"]) == pytest.approx(
        local.score(frame.drop(columns="label"), frame["label"])
    )


def test_multilabel_targets(client):
    X, Y = make_multilabel_classification(n_samples=300, n_features=6, n_classes=4, random_state=0)
    X = X / X.max()
    model = DataParallel(lbfgs()).fit(da.from_array(X, chunks=100), da.from_array(Y, chunks=100))
    local = lbfgs().fit(X, Y)
    assert model.estimator_.loss_ == pytest.approx(local.loss_, rel=1e-8)
    assert_array_equal(model.predict(X), local.predict(X))
    assert model.predict(da.from_array(X, chunks=100)).compute().shape == Y.shape
    assert model.score(da.from_array(X, chunks=100), da.from_array(Y, chunks=100)) == (
        pytest.approx(local.score(X, Y))
    )


def test_numpy_input_is_scattered_and_predictions_stay_numpy(client, blobs):
    X, y = blobs
    y = y == 1  # binary, boolean labels
    model = DataParallel(lbfgs()).fit(X, y)
    local = lbfgs().fit(X, y)
    assert model.estimator_.loss_ == pytest.approx(local.loss_, rel=1e-8)
    proba = model.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(y), 2)
    dask_proba = model.predict_proba(da.from_array(X, chunks=200)).compute()
    assert_allclose(dask_proba, proba)
    assert model.predict(X).dtype == bool


def test_regressor_score_on_dask_input_is_r2(client):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3))
    y = X @ [1.0, -2.0, 0.5] + 50.0 + rng.normal(scale=0.1, size=400)
    net = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", max_iter=100, random_state=0)
    model = DataParallel(net).fit(X, y)
    # y chunked unlike X (rechunked to X's row blocks), and an empty block
    Xd = da.from_array(X, chunks=((130, 0, 270), 3))
    yd = da.from_array(y, chunks=150)
    assert model.score(Xd, yd) == pytest.approx(model.estimator_.score(X, y), rel=1e-10)
    predicted = model.predict(Xd)
    assert predicted.ndim == 1
    assert_allclose(predicted.compute(), model.estimator_.predict(X))


def test_estimator_exports_to_onnx(client, blobs):
    pytest.importorskip("onnxruntime")
    from sknet.onnx import OnnxPredictor, to_onnx

    X, y = blobs
    model = DataParallel(lbfgs()).fit(da.from_array(X, chunks=125), da.from_array(y, chunks=125))
    predictor = OnnxPredictor(to_onnx(model.estimator_, X[:1]))
    assert_array_equal(predictor.predict(X.astype(np.float64)), model.predict(X))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: DataParallel(lbfgs()).fit(np.zeros((0, 3)), np.zeros(0)), ValueError, "0 sample"),
        (lambda: DataParallel(lbfgs()).fit(np.ones((4, 2)), None), ValueError, "requires y"),
        (
            lambda: DataParallel(lbfgs()).fit(np.ones((4, 2)), [1.5, 2.5, 0.1, 3.3]),
            ValueError,
            "Unknown label type",
        ),
        (
            lambda: DataParallel(clone(lbfgs()).set_params(solver="adam"), persist=False).fit(
                np.eye(4), [0, 1, 0, 1]
            ),
            ValueError,
            "persist=True",
        ),
        (
            lambda: DataParallel(
                MLPClassifier(early_stopping=True, scoring="f1_macro", max_iter=2)
            ).fit(np.tile(np.eye(4), (5, 1)), [0, 1, 0, 1] * 5),
            ValueError,
            "scoring=None",
        ),
        (
            lambda: DataParallel(MLPRegressor(solver="lbfgs", max_iter=3)).fit(
                da.ones((20, 3), chunks=5), da.ones(16, chunks=4)
            ),
            ValueError,
            "inconsistent numbers of samples",
        ),
        (
            lambda: DataParallel(lbfgs(warm_start=True)).fit(np.eye(4), [0, 1, 0, 1]),
            ValueError,
            "warm_start",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(client, make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_not_an_sknet_estimator_is_refused(client):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="sknet's MLPClassifier or MLPRegressor"):
        DataParallel(LogisticRegression()).fit(np.eye(4), [0, 1, 0, 1])


def test_a_failed_fit_keeps_the_previous_model(client, blobs):
    X, y = blobs
    model = DataParallel(lbfgs()).fit(X, y)
    before = model.estimator_
    X_bad = X.copy()
    X_bad[-1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X_bad, y)
    assert model.estimator_ is before


def test_without_a_client_the_error_says_how_to_start_one(monkeypatch, blobs):
    import distributed

    from sknet.dask import _cluster

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr(_cluster, "get_client", no_client)
    assert distributed  # the message must not depend on a running client
    with pytest.raises(ValueError, match=r"Client\(\)"):
        DataParallel(lbfgs()).fit(*blobs)
