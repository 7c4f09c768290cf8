"""Attributions through preprocessing: the chain rule in the user's features."""

import warnings

import numpy as np
import pandas as pd
import pytest
from inspection_cases import numeric_gradient
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    PolynomialFeatures,
    RobustScaler,
    SplineTransformer,
    StandardScaler,
)

from sknet import MLPClassifier, MLPRegressor
from sknet.inspection import attributions
from sknet.inspection._attributions import feature_names
from sknet.inspection._chain import affine_map

RNG = np.random.RandomState(0)
SCALES, OFFSETS = np.array([1.0, 10.0, 0.1, 30.0]), np.array([0.0, 5.0, -3.0, 100.0])
X = RNG.randn(60, 4) * SCALES + OFFSETS
y = (X[:, 0] + X[:, 1] / 10 - X[:, 3] / 30 > 0).astype(int)
ROWS = X[:5]
H = 1e-5 * SCALES  # finite-difference steps in each feature's own scale

AFFINE_STEPS = {
    "standard": lambda: StandardScaler(),
    "standard-no-mean": lambda: StandardScaler(with_mean=False),
    "minmax": lambda: MinMaxScaler(feature_range=(-1, 2)),
    "maxabs": lambda: MaxAbsScaler(),
    "robust": lambda: RobustScaler(),
    "robust-no-center": lambda: RobustScaler(with_centering=False),
    "pca": lambda: PCA(n_components=3),
    "pca-whiten": lambda: PCA(whiten=True),
    "scaler-then-pca": lambda: make_pipeline(StandardScaler(), PCA(n_components=2)),
    "columns": lambda: ColumnTransformer(
        [("scaled", StandardScaler(), [0, 2]), ("kept", "passthrough", [3])]
    ),
    "columns-nested": lambda: ColumnTransformer(
        [
            ("minmax", MinMaxScaler(), [3]),
            ("reduced", make_pipeline(RobustScaler(), PCA(n_components=1)), [0, 1]),
        ],
        remainder="passthrough",
    ),
    "columns-overlapping": lambda: ColumnTransformer(
        [("scaled", StandardScaler(), [0, 1]), ("range", MinMaxScaler(), [1, 2, 3])]
    ),
}


def _fit(step, data=X):
    network = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_pipeline(step, network).fit(data, y)


@pytest.mark.parametrize("case", sorted(AFFINE_STEPS))
def test_affine_map_reproduces_transform(case):
    step = AFFINE_STEPS[case]().fit(X)
    affine = affine_map(step, X.shape[1])
    np.testing.assert_allclose(affine(X), step.transform(X), rtol=1e-10, atol=1e-10)
    if affine.zero is not None:
        np.testing.assert_allclose(step.transform(affine.zero[None, :]), 0, atol=1e-9)


@pytest.mark.parametrize("case", sorted(AFFINE_STEPS))
def test_chain_rule_matches_finite_differences_in_original_features(case):
    model = _fit(AFFINE_STEPS[case]())
    expected = numeric_gradient(model.predict_proba, ROWS, h=H)[:, :, 1]
    A = attributions(model, ROWS, method="gradient", target=1)
    np.testing.assert_allclose(A, expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("case", sorted(AFFINE_STEPS))
def test_default_baseline_and_completeness_in_original_features(case):
    """The attributions of a row sum to p(x) - p(baseline), both read from
    the pipeline's predict_proba; the baseline is the point mapped to the
    network's zero input where one exists, else the origin."""
    model = _fit(AFFINE_STEPS[case]())
    pre = model[:-1]
    zero = affine_map(pre, 4).zero
    baseline = np.zeros(4) if zero is None else zero
    if case == "columns-overlapping":  # x1 cannot be both at its mean and its minimum
        assert zero is None
    else:
        np.testing.assert_allclose(pre.transform(baseline[None, :]), 0, atol=1e-9)
    if case == "standard":
        np.testing.assert_allclose(baseline, X.mean(axis=0))
    A = attributions(model, X, target=1)
    change = model.predict_proba(X)[:, 1] - model.predict_proba(baseline[None, :])[0, 1]
    np.testing.assert_allclose(A.sum(axis=1), change, rtol=1e-2, atol=1e-9)


def test_dropped_columns_get_zero_attribution():
    model = _fit(AFFINE_STEPS["columns"]())  # column 1 is dropped
    A = attributions(model, X)
    assert np.all(A[:, 1] == 0) and np.all(A[:, [0, 2, 3]] != 0)


def test_linear_network_after_standard_scaler_is_coef_over_scale_times_deviation():
    model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(), max_iter=200))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, X @ [1.0, 0.1, 10.0, 0.03])
    scaler, coef = model[0], model[-1].coefs_[0][:, 0]
    A = attributions(model, X, method="gradient_x_input")
    np.testing.assert_allclose(A, coef / scaler.scale_ * (X - scaler.mean_), rtol=1e-12)


def test_dataframe_with_named_columns():
    frame = pd.DataFrame(X, columns=["age", "income", "debt", "score"])
    ct = ColumnTransformer(
        [("money", StandardScaler(), ["income", "debt"]), ("rest", MinMaxScaler(), ["age"])],
        remainder="passthrough",
    )
    model = _fit(ct, frame)
    A = attributions(model, frame.iloc[:5], method="gradient", target=1)
    expected = numeric_gradient(
        lambda Z: model.predict_proba(pd.DataFrame(Z, columns=frame.columns)), ROWS, h=H
    )[:, :, 1]
    np.testing.assert_allclose(A, expected, rtol=1e-4, atol=1e-7)
    assert feature_names(model).tolist() == ["age", "income", "debt", "score"]


NOT_AFFINE = {
    "onehotencoder": lambda: OneHotEncoder(handle_unknown="ignore"),
    "polynomialfeatures": lambda: PolynomialFeatures(),
    "splinetransformer": lambda: SplineTransformer(n_knots=3),
    "minmaxscaler": lambda: MinMaxScaler(clip=True),
}


@pytest.mark.parametrize("name", sorted(NOT_AFFINE))
def test_other_steps_are_refused_by_name(name):
    step = NOT_AFFINE[name]()
    model = _fit(step)
    with pytest.raises(ValueError, match=rf"'{name}' \({type(step).__name__}\).*space='network'"):
        attributions(model, ROWS)


def test_refusal_inside_a_column_transformer_names_both():
    ct = ColumnTransformer([("scaled", StandardScaler(), [0]), ("poly", PolynomialFeatures(), [1])])
    with pytest.raises(ValueError, match=r"'columntransformer' 'poly' \(PolynomialFeatures\)"):
        attributions(_fit(ct), ROWS)


def test_network_space_explains_the_network_inputs_for_any_step():
    frame = pd.DataFrame({"size": X[:, 0], "colour": np.array(["red", "blue", "green"] * 20)})
    ct = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size"]),
            ("cat", OneHotEncoder(sparse_output=True), ["colour"]),
        ],
        sparse_threshold=1.0,  # the network gets a sparse matrix
    )
    model = _fit(ct, frame)
    with pytest.raises(ValueError, match="'cat' \\(OneHotEncoder\\)"):
        attributions(model, frame)
    A, error = attributions(model, frame, space="network", return_completeness=True)
    names = feature_names(model, space="network")
    assert A.shape == (60, 4) and list(names) == [
        "num__size",
        "cat__colour_blue",
        "cat__colour_green",
        "cat__colour_red",
    ]
    assert error.max() < 0.01
    # Against finite differences of the network on its own inputs.
    network, Xt = model[-1], model[:-1].transform(frame[:5]).toarray()
    expected = numeric_gradient(network.predict_proba, Xt)
    predicted = np.searchsorted(network.classes_, network.predict(Xt))
    G = attributions(model, frame[:5], method="gradient", space="network")
    np.testing.assert_allclose(G, expected[np.arange(5), :, predicted], rtol=1e-5, atol=1e-8)
