"""LossCurveDisplay draws the curves it claims, from networks, pipelines and
searches, and renders to PNG with the Agg backend."""

import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.metrics import f1_score, make_scorer  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sknet import MLPClassifier, MLPRegressor  # noqa: E402
from sknet.display import LossCurveDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


def _fit_classifier(digits, **params):
    params = {"hidden_layer_sizes": (16,), "max_iter": 8, "random_state": 0} | params
    return MLPClassifier(**params).fit(*digits)


def _f1_macro(estimator, X, y):
    return f1_score(y, estimator.predict(X), average="macro")


def _drawn(line):
    return line.get_xdata(), line.get_ydata()


def _assert_png(display, tmp_path):
    path = tmp_path / "curve.png"
    display.figure_.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = plt.imread(path)
    # Not a blank canvas: the curves put many colors on it.
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 10


def test_training_loss_only(digits, tmp_path):
    clf = _fit_classifier(digits)
    display = LossCurveDisplay.from_estimator(clf)

    assert list(display.lines_) == ["training loss"]
    x, y = _drawn(display.lines_["training loss"])
    np.testing.assert_array_equal(x, np.arange(1, clf.n_iter_ + 1))
    np.testing.assert_allclose(y, clf.loss_curve_)
    assert display.score_ax_ is None
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_title() == type(clf).__name__
    _assert_png(display, tmp_path)


def test_early_stopping_draws_validation_curves(digits, tmp_path):
    clf = _fit_classifier(digits, early_stopping=True, n_iter_no_change=50)
    display = LossCurveDisplay.from_estimator(clf)

    np.testing.assert_allclose(
        _drawn(display.lines_["validation score"])[1], clf.validation_scores_
    )
    assert display.lines_["validation score"].axes is display.score_ax_
    assert display.score_ax_.get_ylabel() == "validation score"
    np.testing.assert_allclose(
        _drawn(display.lines_["validation loss"])[1], clf.validation_loss_curve_
    )
    assert display.lines_["validation loss"].axes is display.ax_
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend[-1] == "validation score"
    _assert_png(display, tmp_path)


def test_show_score_false_draws_losses_only(digits):
    clf = _fit_classifier(digits, early_stopping=True)
    display = LossCurveDisplay.from_estimator(clf, show_score=False)
    assert "validation score" not in display.lines_
    assert display.score_ax_ is None


def test_pipeline_and_grid_search_are_unwrapped(digits, tmp_path):
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=5, random_state=0))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-1]}, cv=2)
    search.fit(*digits)
    network = search.best_estimator_[-1]

    for fitted in (search, search.best_estimator_):
        display = LossCurveDisplay.from_estimator(fitted)
        np.testing.assert_allclose(_drawn(display.lines_["training loss"])[1], network.loss_curve_)
    _assert_png(display, tmp_path)


@pytest.mark.parametrize(
    ("Estimator", "scoring", "word"),
    [
        (MLPClassifier, None, "score"),  # the estimator's own score: accuracy
        (MLPClassifier, "f1_macro", "f1_macro"),
        (MLPClassifier, _f1_macro, "_f1_macro"),
        (MLPClassifier, make_scorer(f1_score, average="macro"), "score"),  # a scorer has no name
        (MLPRegressor, None, "score"),  # R²
        (MLPRegressor, "neg_mean_absolute_error", "neg_mean_absolute_error"),
    ],
)
def test_score_is_named_as_verbose_names_it(digits, capsys, Estimator, scoring, word):
    """The plot's score label and the verbose lines use one word for one number."""
    est = Estimator(hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, verbose=1)
    est.set_params(scoring=scoring).fit(*digits)
    verbose_word = re.search(
        r"Validation score: -?[\d.]+ \| (\S+) \|", capsys.readouterr().out
    ).group(1)
    display = LossCurveDisplay.from_estimator(est)
    assert verbose_word == word
    assert display.score_ax_.get_ylabel() == f"validation {word}"


def test_draws_on_given_axes_with_name(digits):
    _, (left, right) = plt.subplots(1, 2)
    display = LossCurveDisplay.from_estimator(_fit_classifier(digits), ax=right, name="run 1")
    assert display.ax_ is right and display.figure_ is right.figure
    assert right.get_title() == "run 1" and not left.lines


def test_plot_from_curves_alone():
    display = LossCurveDisplay(loss_curve=[3.0, 2.0, 1.5], validation_scores=[0.5, 0.7, 0.8]).plot()
    np.testing.assert_array_equal(_drawn(display.lines_["validation score"])[0], [1, 2, 3])
    assert display.ax_.get_title() == ""


def test_unfitted_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(MLPClassifier())


def test_scikit_learn_mlp_works_and_lbfgs_without_curve_is_refused(digits):
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    sk = SklearnMLP(hidden_layer_sizes=(8,), max_iter=5, early_stopping=True).fit(*digits)
    display = LossCurveDisplay.from_estimator(sk)  # no validation loss recorded
    assert list(display.lines_) == ["training loss", "validation score"]
    lbfgs = SklearnMLP(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5).fit(*digits)
    with pytest.raises(AttributeError, match="loss_curve_"):
        LossCurveDisplay.from_estimator(lbfgs)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def refuse_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse_matplotlib)
    with pytest.raises(ImportError, match=r'pip install "sknet\[plot\]"'):
        LossCurveDisplay(loss_curve=[1.0]).plot()
