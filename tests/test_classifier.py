import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_sample_weight

from sknet import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_activation_and_solver_learns(clf_data, activation, solver):
    X, y = clf_data
    clf = MLPClassifier(
        (16,),
        activation=activation,
        solver=solver,
        max_iter=150,
        learning_rate_init=0.05 if solver == "sgd" else 0.01,
        random_state=0,
    )
    # Chance is 1/3 and a linear model reaches 0.70 on this data.
    assert clf.fit(X, y).score(X, y) > 0.65


def test_multiclass_outputs(clf_data):
    X, y = clf_data
    clf = MLPClassifier((10,), max_iter=50, random_state=0).fit(X, y)
    P = clf.predict_proba(X)
    assert P.shape == (150, 3) and clf.out_activation_ == "softmax"
    np.testing.assert_allclose(P.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[P.argmax(axis=1)])
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-6, atol=1e-9)


def test_binary_string_labels(clf_data):
    X, y = clf_data
    labels = np.array(["cat", "dog"])[(y > 0).astype(int)]
    clf = MLPClassifier((10,), max_iter=80, random_state=0).fit(X, labels)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    P = clf.predict_proba(X)
    assert P.shape == (150, 2)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(P[:, 1] > 0.5).astype(int)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), P, rtol=1e-6)
    assert set(clf.predict(X)) <= {"cat", "dog"}


@pytest.mark.parametrize("n_labels", [2, 4])
def test_multilabel_indicator(n_labels):
    X, Y = make_multilabel_classification(
        n_samples=120, n_features=8, n_classes=n_labels, random_state=0
    )
    clf = MLPClassifier((20,), max_iter=300, random_state=0).fit(X, Y)
    pred = clf.predict(X)
    assert pred.shape == Y.shape and clf.predict_proba(X).shape == Y.shape
    np.testing.assert_array_equal(pred, (clf.predict_proba(X) > 0.5).astype(int))
    from sklearn.neural_network import MLPClassifier as Reference

    ref = Reference((20,), max_iter=300, random_state=0).fit(X, Y)
    assert (pred == Y).mean() >= (ref.predict(X) == Y).mean() - 0.03


def test_linear_model_matches_logistic_regression(clf_data):
    X, y = clf_data
    alpha = 1.0
    clf = MLPClassifier(
        (), solver="lbfgs", alpha=alpha, tol=1e-10, max_iter=2000, random_state=0
    ).fit(X, y)
    # Our penalty is alpha / (2 n) |W|^2 on the mean loss: LogisticRegression C = 1 / alpha.
    ref = LogisticRegression(C=1 / alpha, tol=1e-10, max_iter=5000).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_class_weight_equals_the_same_sample_weight(clf_data):
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0)
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    a = MLPClassifier(class_weight=cw, **params).fit(X, y)
    b = MLPClassifier(**params).fit(X, y, sample_weight=compute_sample_weight(cw, y))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0])


def test_class_weight_combines_with_sample_weight(clf_data):
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0)
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    a = MLPClassifier(class_weight="balanced", **params).fit(X, y, sample_weight=sw)
    b = MLPClassifier(**params).fit(X, y, sample_weight=sw * compute_sample_weight("balanced", y))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0])


def test_balanced_class_weight_raises_recall_of_the_rare_class():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=600) > 1.6).astype(int)  # about 7% positives
    params = dict(hidden_layer_sizes=(), solver="lbfgs", random_state=0)
    plain = MLPClassifier(**params).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y)
    recall = lambda m: (m.predict(X)[y == 1] == 1).mean()  # noqa: E731
    assert recall(balanced) > recall(plain) + 0.2


def test_balanced_class_weight_is_refused_by_partial_fit(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="compute_class_weight"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_needs_classes_first_and_accepts_subsets(clf_data):
    X, y = clf_data
    clf = MLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    clf.partial_fit(X, y)
    assert clf.predict_proba(X).shape == (150, 3)
    with pytest.raises(ValueError, match=r"not in `self\.classes_`"):
        clf.partial_fit(X, np.where(y == 2, 7, y))


def test_partial_fit_is_absent_for_lbfgs():
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    assert hasattr(MLPClassifier(solver="sgd"), "partial_fit")


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_equals_dense(clf_data, fmt):
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    dense = MLPClassifier(**params).fit(X, y)
    sparse = MLPClassifier(**params).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), rtol=1e-6
    )


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, -1, 3, 7, -1, 0]),
        np.array([2, 2, 5, 5], dtype=np.uint8),
        np.array([True, False, False]),
        np.array([1.0, 0.0, 2.0, 1.0]),
        np.array([4, 4, 4]),
        np.array(["b", "a", "b"], dtype=object),
        np.array([[1, 0], [0, 1], [1, 1]]),
    ],
    ids=["int", "uint8", "bool", "integral float", "one class", "strings", "multilabel"],
)
def test_binarizer_state_is_scikit_learns_fit_on_y(y):
    """Plain labels are fitted on their distinct values (one pass): the
    binarizer must hold what ``LabelBinarizer().fit(y)`` holds."""
    from sklearn.preprocessing import LabelBinarizer

    from sknet._estimators._labels import fit_binarizer

    ours, _ = fit_binarizer(y, None)
    theirs = LabelBinarizer().fit(y)
    assert (ours.y_type_, ours.sparse_input_) == (theirs.y_type_, theirs.sparse_input_)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype


def test_continuous_labels_get_scikit_learns_error_word_for_word():
    from sklearn.neural_network import MLPClassifier as SkMLP

    X, y = np.random.RandomState(0).normal(size=(6, 2)), np.array([0.5, 1.5, 2.5] * 2)
    with pytest.raises(ValueError) as ours:
        MLPClassifier(max_iter=1).fit(X, y)
    with pytest.raises(ValueError) as theirs:
        SkMLP(max_iter=1).fit(X, y)
    assert str(ours.value) == str(theirs.value)
