"""Drop-in behaviour: where sknet and scikit-learn's MLP overlap, they agree.

Regression tests for the estimator breaks listed in issue 8. Wherever the
behaviour is scikit-learn's, both estimators run side by side on the same
inputs and the test compares what they do, rather than hard-coding
scikit-learn's text.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sknet import DivergenceError, MLPClassifier, MLPRegressor
from sknet.nn.network import MLP

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

PAIRS = {
    "classifier": (MLPClassifier, SkMLPClassifier),
    "regressor": (MLPRegressor, SkMLPRegressor),
}


def _both(kind, **params):
    ours, theirs = PAIRS[kind]
    return ours(**params), theirs(**params)


def _fit_both(kind, X, y, **params):
    ours, theirs = _both(kind, **params)
    return ours.fit(X, y), theirs.fit(X, y)


def _raised(fit):
    """The exception ``fit()`` raises, or None."""
    try:
        fit()
    except Exception as exc:
        return exc
    return None


def _warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [(w.category, str(w.message)) for w in caught]


# ---------------------------------------------------------------- learning rates


SGD_NO_MOMENTUM = dict(
    hidden_layer_sizes=(8,), solver="sgd", momentum=0.0, random_state=0, tol=0.0, max_iter=3
)


@pytest.mark.parametrize(
    "change",
    [
        {"learning_rate_init": 0.2},
        {"learning_rate": "invscaling", "learning_rate_init": 0.5},
        {"learning_rate": "invscaling", "learning_rate_init": 0.5, "power_t": 0.9},
    ],
)
def test_warm_start_fit_applies_changed_rate_settings(clf_data, change):
    # issue 8: the rate of the first fit carried over and ignored set_params.
    # Without momentum the optimizer keeps no state, so sknet and scikit-learn
    # must train identically.
    X, y = clf_data
    ours, theirs = _both("classifier", warm_start=True, **SGD_NO_MOMENTUM)
    for est in (ours, theirs):
        est.fit(X, y).set_params(**change).fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)


def test_partial_fit_applies_a_changed_learning_rate(clf_data):
    # scikit-learn's partial_fit keeps its first rate; sknet applies the new
    # one, training as scikit-learn's warm-started fit with that rate does.
    X, y = clf_data
    params = dict(SGD_NO_MOMENTUM, max_iter=1, shuffle=False)
    ours = MLPClassifier(**params).partial_fit(X, y, classes=np.unique(y))
    theirs = SkMLPClassifier(warm_start=True, **params).fit(X, y)
    ours.set_params(learning_rate_init=0.3).partial_fit(X, y)
    theirs.set_params(learning_rate_init=0.3).fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)


def test_cosine_schedule_restarts_on_warm_start_and_never_stalls(clf_data, capsys):
    X, y = clf_data
    params = dict(SGD_NO_MOMENTUM, learning_rate="cosine", learning_rate_init=0.1, max_iter=4)
    clf = MLPClassifier(warm_start=True, verbose=True, **params).fit(X, y)
    before = clf.coefs_[0].copy()
    capsys.readouterr()
    clf.fit(X, y)  # a fresh cycle: the first epoch runs at learning_rate_init
    assert "| lr 0.1 |" in capsys.readouterr().out.splitlines()[0]
    assert not np.allclose(clf.coefs_[0], before)
    stream = MLPClassifier(**params)
    for _ in range(3 * params["max_iter"]):
        before = stream.partial_fit(X, y, classes=np.unique(y)).coefs_[0].copy()
        stream.partial_fit(X, y)
        assert not np.array_equal(stream.coefs_[0], before)


@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
def test_adam_ignores_scikit_learns_schedules(clf_data, learning_rate):
    # scikit-learn's adam never reads learning_rate; tol=10 makes every epoch
    # a plateau, where 'adaptive' would lower the rate instead of stopping.
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    params.update(learning_rate=learning_rate, max_iter=20, tol=10.0, n_iter_no_change=2)
    ours, theirs = _fit_both("classifier", X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


# ---------------------------------------------------------------- weights


def test_negative_class_weight_is_refused_like_negative_sample_weight(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        MLPClassifier().fit(X, y, sample_weight=np.where(y == 0, -1.0, 1.0))
    with pytest.raises(ValueError, match="Negative values in data passed to `class_weight`"):
        MLPClassifier(class_weight={0: -1.0, 1: 1.0, 2: 1.0}).fit(X, y)


def test_batches_without_weight_are_skipped(clf_data):
    # issue 8: a minibatch whose weights are all zero raised ZeroDivisionError.
    # It contributes nothing, so training equals training without its rows.
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver="sgd", shuffle=False, batch_size=50)
    params.update(random_state=0, max_iter=5)
    w = np.r_[np.zeros(50), np.ones(100)]
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=w)
    without = MLPClassifier(**params).fit(X[50:], y[50:])
    np.testing.assert_allclose(weighted.coefs_[0], without.coefs_[0], rtol=1e-12)
    np.testing.assert_allclose(weighted.loss_curve_, without.loss_curve_, rtol=1e-12)
    order = np.argsort(y, kind="stable")  # class 0 first: whole batches of weight 0
    cw = {0: 0.0, 1: 1.0, 2: 1.0}
    MLPClassifier(class_weight=cw, **params).fit(X[order], y[order])


def test_early_stopping_split_without_weight_names_the_fix(clf_data):
    # One sample with weight: the part of the split without it has none.
    X, y = clf_data
    named = set()
    for row in range(8):
        w = np.zeros(len(y))
        w[row] = 1.0
        clf = MLPClassifier(early_stopping=True, validation_fraction=0.5, random_state=0)
        with pytest.raises(ValueError, match=r"part .* sum to zero.*early_stopping=False") as error:
            clf.fit(X, y, sample_weight=w)
        named.add(re.search(r"of the (\w+) part", str(error.value)).group(1))
    assert named == {"training", "validation"}


# ---------------------------------------------------------------- prediction


def test_prediction_reads_the_network_from_fitted_attributes(clf_data):
    # issue 8: predicting after set_params(hidden_layer_sizes=...) crashed.
    # As in scikit-learn, the shapes come from coefs_ and the hidden
    # activation from self.activation: with sknet's weights copied into
    # scikit-learn's estimator, both predict the same for every activation.
    X, y = clf_data
    ours = MLPClassifier((8,), solver="lbfgs", max_iter=30, random_state=0).fit(X, y)
    theirs = SkMLPClassifier((8,), solver="lbfgs", max_iter=1, random_state=0).fit(X, y)
    theirs.coefs_, theirs.intercepts_ = ours.coefs_, ours.intercepts_
    for est in (ours, theirs):
        est.set_params(hidden_layer_sizes=(3, 2))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
    for activation in ["identity", "logistic", "tanh", "relu"]:
        for est in (ours, theirs):
            est.set_params(activation=activation)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-12)
        assert ours.score(X, y) == theirs.score(X, y)
    assert isinstance(ours._fitted_network(), MLP)


def test_onnx_export_and_predict_agree_after_set_params(clf_data):
    pytest.importorskip("onnxruntime")
    from sknet.onnx import OnnxPredictor, to_onnx

    X, y = clf_data
    clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    clf.set_params(hidden_layer_sizes=(5, 5), activation="tanh")
    onnx_model = OnnxPredictor(to_onnx(clf, X[:1]))
    np.testing.assert_allclose(onnx_model.predict_proba(X), clf.predict_proba(X), atol=1e-6)


def test_float32_model_refuses_float64_input_beyond_its_range(clf_data):
    # issue 8: the cast to float32 made inf, then NaN probabilities.
    X, y = clf_data
    clf = MLPClassifier((8,), max_iter=5, dtype="float32", random_state=0).fit(X, y)
    big = X.copy()
    big[0, 0] = 1e39
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(ValueError, match=r"beyond the range of float32.*dtype='float64'"):
            method(big)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        MLPClassifier(dtype="float32").fit(big, y)


def test_warm_start_honours_a_changed_dtype(clf_data):
    X, y = clf_data
    clf = MLPClassifier((8,), solver="adam", max_iter=3, warm_start=True, random_state=0)
    clf.fit(X, y).set_params(dtype="float32").fit(X, y)
    assert all(a.dtype == np.float32 for a in clf.coefs_ + clf.intercepts_)
    assert clf._state["training"]["optimizer"]["m"].dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    assert len(clf.loss_curve_) == 6


# ---------------------------------------------------------------- interrupts


def _interrupt_at(monkeypatch, owner, name, call):
    """Make ``owner.name`` raise KeyboardInterrupt on its ``call``-th call."""
    original, calls = getattr(owner, name), []

    def step(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, step)


def _interrupted_fit(est, X, y):
    """Warnings of a fit that gets a KeyboardInterrupt, which must not escape."""
    try:
        return _warnings(lambda: est.fit(X, y))
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped fit")


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_interrupted_stochastic_fit_keeps_the_epochs_trained(clf_data, monkeypatch, solver):
    # Three batches an epoch; the 8th batch is in the third epoch.
    from sklearn.neural_network._multilayer_perceptron import BaseMultilayerPerceptron

    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=50, random_state=0)
    ours, theirs = _both("classifier", **params)
    _interrupt_at(monkeypatch, MLP, "loss_grad", 8)
    _interrupt_at(monkeypatch, BaseMultilayerPerceptron, "_backprop", 8)
    expected = [(UserWarning, "Training interrupted by user.")]
    assert _interrupted_fit(ours, X, y) == _interrupted_fit(theirs, X, y) == expected
    assert ours.n_iter_ == theirs.n_iter_ == len(ours.loss_curve_) == 2
    assert ours.t_ == theirs.t_ == 2 * len(X)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert ours.loss_ == ours.loss_curve_[-1]
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def test_interrupted_lbfgs_fit_keeps_the_last_iterate(clf_data, monkeypatch):
    # scikit-learn lets Ctrl-C escape from lbfgs; sknet treats it as the
    # stochastic solvers: a warning and the model as trained so far.
    X, y = clf_data
    clf = MLPClassifier((8,), solver="lbfgs", max_iter=50, random_state=0)
    _interrupt_at(monkeypatch, MLP, "loss_grad", 10)
    assert _interrupted_fit(clf, X, y) == [(UserWarning, "Training interrupted by user.")]
    assert 0 < clf.n_iter_ == len(clf.loss_curve_) < 10
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.score(X, y) > 0.5


# ---------------------------------------------------------------- early stopping


def test_early_stopping_on_a_dataframe_warns_nothing(clf_data):
    # issue 8: scoring the validation split warned "X does not have valid
    # feature names" once per epoch; scikit-learn warns nothing of the kind.
    pd = pytest.importorskip("pandas")
    X, y = clf_data
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    params = dict(hidden_layer_sizes=(4,), early_stopping=True, max_iter=5, random_state=0)
    scaler = ColumnTransformer([("num", StandardScaler(), list(df.columns))])
    for wrap in (
        lambda est: est,
        lambda est: make_pipeline(scaler.set_output(transform="pandas"), est),
    ):
        ours, theirs = (wrap(est) for est in _both("classifier", **params))
        categories = [
            [category for category, _ in _warnings(lambda est=est: est.fit(df, y))]
            for est in (ours, theirs)
        ]
        assert categories[0] == categories[1] == [ConvergenceWarning]


def test_early_stopping_keeps_the_best_weights_when_training_diverges():
    # issue 8: the scorer crashed with "Input contains NaN". scikit-learn
    # keeps the best weights; so does sknet, and it says why and what to do.
    X, y = load_iris(return_X_y=True)
    params = dict(solver="sgd", learning_rate_init=1.0, activation="identity")
    params.update(early_stopping=True, random_state=0, max_iter=30)
    ours, theirs = _both("regressor", **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's overflows
        theirs.fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"diverged.*Lower learning_rate_init"):
        ours.fit(X, y)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


def test_early_stopping_errors_name_the_users_labels(clf_data):
    # Already right before issue 8's fixes (kept as a guard): the stratified
    # split complains about the labels the user gave, not encoded ones.
    X, _ = clf_data
    y = np.array(["True"] + ["False"] * (len(X) - 1))
    with pytest.raises(ValueError, match=re.escape("['True']")):
        MLPClassifier(early_stopping=True).fit(X, y)


# ---------------------------------------------------------------- errors


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scikit-learn's overflows
def test_divergence_error_is_scikit_learns_value_error_with_a_remedy(reg_data):
    X, y = reg_data
    params = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0, max_iter=20)
    theirs = _raised(lambda: SkMLPRegressor(**params).fit(X * 1e200, y))
    with pytest.raises(DivergenceError) as ours:
        MLPRegressor(**params).fit(X * 1e200, y)
    assert isinstance(ours.value, ValueError) and isinstance(theirs, ValueError)
    assert str(ours.value).startswith(str(theirs))
    assert "StandardScaler" in str(ours.value) and "learning_rate_init" in str(ours.value)


def test_divergence_remedy_fits_the_case(reg_data):
    X, y = reg_data
    with pytest.raises(ValueError, match="TransformedTargetRegressor") as huge_y:
        MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", max_iter=20).fit(X, y * 1e150)
    assert "StandardScaler in a Pipeline" not in str(huge_y.value)
    with pytest.raises(ValueError, match="StandardScaler") as lbfgs:
        MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=20).fit(X * 1e200, y)
    assert "learning_rate_init" not in str(lbfgs.value)
    assert "epoch" not in str(lbfgs.value) and "0 iterations" not in str(lbfgs.value)


@pytest.mark.parametrize(
    "refit",
    [
        lambda est, X, y: est.set_params(warm_start=True).fit(X, np.where(y == 2, 0, y)),
        lambda est, X, y: est.partial_fit(X, np.where(y == 2, 7, y)),
    ],
    ids=["warm-start-fewer-classes", "partial-fit-unknown-class"],
)
def test_refits_check_classes_as_scikit_learn(clf_data, refit):
    # issue 8: a warm start on y with other classes went on silently.
    X, y = clf_data
    fitted = _fit_both("classifier", X, y, hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    ours, theirs = (_raised(lambda est=est: refit(est, X, y)) for est in fitted)
    assert type(ours) is type(theirs) is ValueError
    assert str(ours) == str(theirs)


def test_single_class_y_fits_and_predicts_that_class(clf_data):
    X, _ = clf_data
    y = np.full(len(X), "only")
    ours, theirs = _fit_both("classifier", X, y, hidden_layer_sizes=(4,), max_iter=5)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.predict_proba(X).shape == theirs.predict_proba(X).shape
    assert (ours.out_activation_, ours.n_outputs_) == (theirs.out_activation_, theirs.n_outputs_)


def test_validation_fraction_zero_is_accepted_without_early_stopping(clf_data):
    X, y = clf_data
    _fit_both("classifier", X, y, max_iter=2, validation_fraction=0.0)
    ours, theirs = _both("classifier", max_iter=2, validation_fraction=0.0, early_stopping=True)
    ours_error, theirs_error = _raised(lambda: ours.fit(X, y)), _raised(lambda: theirs.fit(X, y))
    assert type(ours_error) is type(theirs_error) is ValueError
    assert str(ours_error) == str(theirs_error)


@pytest.mark.parametrize(
    "sizes", [(5.5,), np.array([5.0]), np.array([[5]]), [[5, 3]], (5, "a")], ids=repr
)
def test_hidden_layer_sizes_must_be_integers(clf_data, sizes):
    # scikit-learn fails with a TypeError from deep inside; sknet refuses
    # with an InvalidParameterError, which is a TypeError and a ValueError.
    X, y = clf_data
    with pytest.raises(TypeError):
        SkMLPClassifier(hidden_layer_sizes=sizes, max_iter=2).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'hidden_layer_sizes' parameter"):
        MLPClassifier(hidden_layer_sizes=sizes, max_iter=2).fit(X, y)


# ---------------------------------------------------------------- verbose


@pytest.mark.parametrize(
    "params",
    [
        dict(tol=10.0, n_iter_no_change=2),
        dict(learning_rate="adaptive", tol=10.0, n_iter_no_change=1),
        dict(early_stopping=True, n_iter_no_change=2, tol=0.5),
        dict(learning_rate="invscaling"),
    ],
    ids=["plateau", "adaptive", "early-stopping", "invscaling"],
)
def test_verbose_lines_start_with_scikit_learns(clf_data, capsys, params):
    X, y = clf_data
    common = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.05)
    ours, theirs = _both("classifier", verbose=True, max_iter=8, random_state=0, **common, **params)
    theirs.fit(X, y)
    theirs_lines = capsys.readouterr().out.splitlines()
    ours.fit(X, y)
    ours_lines = capsys.readouterr().out.splitlines()
    assert len(ours_lines) == len(theirs_lines) > 0
    for mine, reference in zip(ours_lines, theirs_lines):
        assert mine.startswith(reference), (mine, reference)


def test_lbfgs_verbose_lines_use_scikit_learns_iteration_format(clf_data, capsys):
    # scikit-learn prints nothing for lbfgs with SciPy >= 1.15 (it passes
    # SciPy's deprecated iprint only to older SciPy); sknet prints its
    # iterations in the stochastic solvers' format.
    X, y = clf_data
    MLPClassifier((4,), solver="lbfgs", max_iter=3, verbose=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2", "Iteration 3"]
    assert all(re.fullmatch(r"Iteration \d, loss = \d+\.\d{8}", line) for line in lines)


# ---------------------------------------------------------------- partial_fit


def test_partial_fit_needs_classes_for_multilabel_y_as_documented():
    X, Y = make_multilabel_classification(n_samples=60, n_classes=3, random_state=0)
    for est in _both("classifier", hidden_layer_sizes=(4,)):
        with pytest.raises(ValueError, match="classes must be passed on the first call"):
            est.partial_fit(X, Y)
        est.partial_fit(X, Y, classes=np.arange(3))
    doc = MLPClassifier.partial_fit.__doc__
    classes_entry = doc[doc.index("classes :") : doc.index("Returns")]
    assert "multilabel" in classes_entry and "not needed" not in classes_entry
    assert "np.arange(n_labels)" in classes_entry


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_shuffled_minibatches_follow_scikit_learns_order(clf_data, solver):
    # A fit permutes its previous epoch's order, and every call draws from
    # random_state anew, as scikit-learn does: the same seed then trains the
    # same in fits, warm starts and partial_fit sequences.
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver=solver, batch_size=32, random_state=0)
    params.update(tol=0.0, max_iter=4, momentum=0.0)  # no sgd state to carry over
    ours, theirs = _both("classifier", warm_start=True, **params)
    for est in (ours, theirs):
        est.fit(X, y).fit(X, y)
    n = 8 if solver == "sgd" else 4  # on warm starts sknet keeps adam's moments
    np.testing.assert_allclose(ours.loss_curve_[:n], theirs.loss_curve_[:n], rtol=1e-10)
    ours, theirs = _both("classifier", **params)
    for _ in range(3):
        for est in (ours, theirs):
            est.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)


def test_early_stopping_split_matches_scikit_learn():
    # Only single-output targets are stratified, as in scikit-learn, so the
    # same seed holds out the same samples and sgd trains the same.
    X, y = make_classification(n_samples=150, n_classes=3, n_informative=4, random_state=0)
    params = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.05)
    params.update(early_stopping=True, max_iter=15, random_state=0)
    ours, theirs = _fit_both("classifier", X, y, **params)
    assert ours.validation_scores_ == theirs.validation_scores_
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("batch_size", [95, 100, 120])
def test_batch_size_is_checked_against_the_training_part(batch_size):
    # scikit-learn clips batch_size (and warns) against the rows left for
    # training after the early-stopping split (90 of 100 here), not all rows.
    X, y = make_classification(n_samples=100, random_state=0)
    params = dict(hidden_layer_sizes=(4,), batch_size=batch_size, max_iter=2, random_state=0)
    warned = []
    for est in _both("classifier", early_stopping=True, **params):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.fit(X, y)
        warned.append(sorted(str(w.message) for w in caught if "batch_size" in str(w.message)))
    assert warned[0] == warned[1] and len(warned[0]) == 1


def test_hidden_layer_sizes_are_refused_before_the_data_is_read():
    # scikit-learn checks hidden_layer_sizes before validating X and y, so a
    # bad value raises without a DataConversionWarning about a column y.
    X, y = make_classification(n_samples=30, random_state=0)
    caught = []
    for est in _both("classifier", hidden_layer_sizes=(4, 0)):
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            error = _raised(lambda est=est: est.fit(X, y[:, None]))
        caught.append((type(error), str(error), [w.category for w in record]))
    assert caught[0] == caught[1] and caught[0][0] is ValueError


@pytest.mark.parametrize("learning_rate", ["invscaling", "adaptive"])
def test_partial_fit_schedule_goes_on_after_max_iter_changes(clf_data, learning_rate):
    # max_iter does not enter invscaling or adaptive, so changing it between
    # partial_fit calls must not restart their rate (it restarted cosine's only).
    X, y = clf_data
    params = dict(hidden_layer_sizes=(8,), solver="sgd", learning_rate=learning_rate)
    params.update(learning_rate_init=0.05, momentum=0.0, random_state=0)
    ours, theirs = _both("classifier", **params)
    for est in (ours, theirs):
        est.partial_fit(X, y, classes=np.unique(y))
        est.set_params(max_iter=7)
        est.partial_fit(X, y)
        est.partial_fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0], theirs.coefs_[0], rtol=1e-9)


def test_the_validation_scorer_gets_float64_weights_as_in_scikit_learn():
    # scikit-learn's validated sample weights are float64 whatever X's
    # dtype; in float32 (the model's) the score was float32 and could overflow.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(60, 3)).astype(np.float32), rng.normal(size=60)
    seen = []

    def scorer(estimator, X, y, sample_weight=None):
        seen.append(sample_weight.dtype)
        return 0.0

    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, early_stopping=True, scoring=scorer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y, sample_weight=rng.uniform(0.5, 2.0, size=60))
    assert est.coefs_[0].dtype == np.float32 and seen == [np.float64] * 2
