"""Bad input gets a clear error, and a failed fit keeps what the user had."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from sknet import DivergenceError, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
BOTH = [MLPClassifier, MLPRegressor]


@pytest.mark.parametrize("Estimator", BOTH)
@pytest.mark.parametrize("bad, message", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input(clf_data, Estimator, bad, message):
    X, y = clf_data
    X = X.copy()
    X[3, 2] = bad
    with pytest.raises(ValueError, match=message):
        Estimator().fit(X, y)


@pytest.mark.parametrize("Estimator", BOTH)
def test_wrong_number_of_features_at_predict(clf_data, Estimator):
    X, y = clf_data
    est = Estimator(hidden_layer_sizes=(4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=r"X has 5 features, but .* is expecting 6 features"):
        est.predict(X[:, :5])


@pytest.mark.parametrize("Estimator", BOTH)
def test_empty_data(Estimator):
    with pytest.raises(ValueError, match="0 sample"):
        Estimator().fit(np.empty((0, 3)), np.empty(0))


@pytest.mark.parametrize(
    "weights, message", [([-1.0] + [1.0] * 149, "(?i)negative"), ([0.0] * 150, "zero")]
)
def test_bad_sample_weight(clf_data, weights, message):
    X, y = clf_data
    with pytest.raises(ValueError, match=message):
        MLPClassifier().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("Estimator", BOTH)
@pytest.mark.parametrize(
    "param, value",
    [
        ("activation", "swish"),
        ("solver", "rmsprop"),
        ("learning_rate", "step"),
        ("alpha", -1.0),
        ("batch_size", 0),
        ("max_iter", 0),
        ("momentum", 1.5),
        ("validation_fraction", 1.0),
        ("dtype", "float16"),
    ],
)
def test_unknown_parameter_values_name_the_parameter(clf_data, Estimator, param, value):
    X, y = clf_data
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        Estimator(**{param: value}).fit(X, y)


def test_zero_hidden_units_is_refused(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="hidden_layer_sizes must be > 0"):
        MLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)


@pytest.mark.parametrize("Estimator", BOTH)
def test_predict_before_fit(clf_data, Estimator):
    with pytest.raises(NotFittedError):
        Estimator().predict(clf_data[0])


def _exploding(X):
    return X * 1e200


@pytest.mark.parametrize("Estimator", BOTH)
def test_divergence_names_the_remedy_and_keeps_the_fitted_model(clf_data, Estimator):
    X, y = clf_data
    est = Estimator(hidden_layer_sizes=(8,), solver="sgd", max_iter=20, random_state=0).fit(X, y)
    before = dict(vars(est).items())
    coefs = [W.copy() for W in est.coefs_]
    predictions = est.predict(X)
    est.set_params(learning_rate_init=10.0, momentum=0.99)
    with pytest.raises(DivergenceError, match=r"StandardScaler.*Lower learning_rate_init"):
        est.fit(_exploding(X), y * 1e6 if Estimator is MLPRegressor else y)
    assert vars(est).keys() == before.keys()
    for W, W_before in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    np.testing.assert_array_equal(est.predict(X), predictions)
    assert est.loss_curve_ == before["loss_curve_"]


def test_a_failed_warm_start_keeps_the_optimizer_state(clf_data):
    X, y = clf_data
    est = MLPClassifier((8,), solver="sgd", max_iter=5, warm_start=True, random_state=0).fit(X, y)
    velocity = est._state["training"]["optimizer"]["velocity"].copy()
    est.set_params(learning_rate_init=10.0, momentum=0.99)
    with pytest.raises(DivergenceError):
        est.fit(_exploding(X), y)
    np.testing.assert_array_equal(est._state["training"]["optimizer"]["velocity"], velocity)
    assert len(est.loss_curve_) == 5


def test_a_failed_fit_with_bad_labels_keeps_classes(clf_data):
    X, y = clf_data
    est = MLPClassifier((4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, np.linspace(0, 1, len(y)))
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


def _fit_both(X, y, hidden=(4,), max_iter=1):
    """sknet's and scikit-learn's classifiers, fitted alike."""
    from sklearn.neural_network import MLPClassifier as SkMLP

    params = dict(hidden_layer_sizes=hidden, max_iter=max_iter)
    return MLPClassifier(**params).fit(X, y), SkMLP(**params).fit(X, y)


def _assert_same_predict_error(ours, theirs, X):
    """Both refuse ``X`` at predict with a ValueError, in the same words."""
    with pytest.raises(ValueError) as expected:
        theirs.predict(X)
    with pytest.raises(ValueError) as got:
        ours.predict(X)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("where", ["first row", "last row", "sparse"])
@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_non_finite_input_at_predict_gets_scikit_learns_error(dtype, where, bad):
    # sknet tests finiteness in blocks of rows (a faster pass than
    # scikit-learn's); the error and its message must stay scikit-learn's,
    # wherever the bad value sits, and sparse data is checked too.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40_000, 12)).astype(dtype), rng.randint(3, size=40_000)
    ours, theirs = _fit_both(X[:200], y[:200])
    X[0 if where == "first row" else -1, 5] = bad
    if where == "sparse":
        X = sp.csr_matrix(np.where((X > 1) | ~np.isfinite(X), X, 0))
    _assert_same_predict_error(ours, theirs, X)


def test_assume_finite_skips_the_finiteness_check_as_in_scikit_learn():
    import sklearn

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(100, 3)), rng.randint(2, size=100)
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=1).fit(X, y)
    X[0, 0] = np.nan
    with sklearn.config_context(assume_finite=True):
        P = est.predict_proba(X)
    assert np.isnan(P[0]).all() and np.isfinite(P[1:]).all()


@pytest.mark.parametrize("container", ["ndarray", "DataFrame"])
def test_predict_reports_the_error_scikit_learn_reports_first(container):
    # X both wrongly shaped and with NaN: scikit-learn names the NaN (its
    # finiteness check runs before the feature count); with feature names,
    # the names. sknet's faster finiteness pass must not change which.
    import pandas as pd

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 4)), rng.randint(2, size=60)
    bad = X[:, :3].copy()
    bad[0, 0] = np.nan
    if container == "DataFrame":
        X, bad = pd.DataFrame(X, columns=list("abcd")), pd.DataFrame(bad, columns=list("abc"))
    _assert_same_predict_error(*_fit_both(X, y, (3,), 2), bad)


def test_strings_at_predict_are_refused_as_scikit_learn_refuses_them():
    # fit converts numeric strings (dtype float), predict refuses them
    # (dtype "numeric"): the same in both libraries.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 3)).round(3), rng.randint(2, size=40)
    ours, theirs = _fit_both(X.astype(str), y, (3,), 2)
    _assert_same_predict_error(ours, theirs, X.astype(str))
    np.testing.assert_array_equal(ours.predict(X), ours.predict(X.astype(object)))
