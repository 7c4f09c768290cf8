"""Every registry entry reaches the estimators, their errors and their docs.

A new activation, schedule, solver or regression loss is one registry entry;
these tests are parametrized over the registries, so the entry is tested
(accepted, trained, documented, named in errors) without editing them.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

from sknet import MLPClassifier, MLPRegressor
from sknet._estimators._regressor import REGRESSION_LOSSES
from sknet._estimators._solvers import SOLVERS
from sknet.nn import losses
from sknet.nn.activations import ACTIVATIONS
from sknet.nn.schedules import SCHEDULES

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
DOCS = Path(__file__).parents[1] / "docs" / "user_guide"
REGISTRIES = {
    (MLPClassifier, "activation"): ACTIVATIONS,
    (MLPClassifier, "solver"): SOLVERS,
    (MLPClassifier, "learning_rate"): SCHEDULES,
    (MLPRegressor, "loss"): REGRESSION_LOSSES,
}


def _documented_options(Estimator, parameter):
    """The ``{'a', 'b'}`` set of a parameter in the estimator's docstring."""
    doc = Estimator.__doc__.replace("\\\n", "")
    found = re.search(rf"^\s*{parameter} : \{{([^}}]*)\}}", doc, re.MULTILINE)
    return set(re.findall(r"'(\w+)'", found.group(1)))


@pytest.mark.parametrize(("Estimator", "parameter"), list(REGISTRIES), ids=str)
def test_constraints_errors_and_docstrings_list_the_registry(Estimator, parameter):
    registry = set(REGISTRIES[Estimator, parameter])
    assert _documented_options(Estimator, parameter) == registry
    with pytest.raises(InvalidParameterError) as error:
        Estimator(**{parameter: "no-such-option"}).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    assert all(repr(name) in str(error.value) for name in registry)


@pytest.mark.parametrize(
    ("page", "names"),
    [("estimators.rst", ACTIVATIONS), ("solvers.rst", [*SOLVERS, *SCHEDULES])],
)
def test_the_user_guide_names_every_registry_entry(page, names):
    text = (DOCS / page).read_text()
    assert [name for name in names if f"'{name}'" not in text] == []


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_every_activation_trains_with_every_solver(clf_data, activation, solver):
    X, y = clf_data
    clf = MLPClassifier((6,), activation=activation, solver=solver, max_iter=3, random_state=0)
    clf.fit(X, y)
    assert np.isfinite(clf.loss_curve_).all() and clf.predict_proba(X).shape == (len(X), 3)
    assert hasattr(clf, "partial_fit") == SOLVERS[solver].stochastic


@pytest.mark.parametrize("learning_rate", sorted(SCHEDULES))
def test_every_schedule_trains(clf_data, learning_rate):
    X, y = clf_data
    clf = MLPClassifier((6,), solver="sgd", learning_rate=learning_rate, max_iter=3).fit(X, y)
    assert len(clf.loss_curve_) == 3


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_every_regression_loss_trains_and_predicts_through_its_output(reg_data, loss):
    X, y = reg_data
    y = np.abs(y) if loss == "poisson" else y
    reg = MLPRegressor(loss, hidden_layer_sizes=(8,), max_iter=30, random_state=0).fit(X, y)
    assert reg.out_activation_ == losses.LOSSES[loss].out_activation
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    assert reg.predict(X).shape == y.shape


def test_the_quantile_loss_fits_the_conditional_median_not_the_mean():
    # Skewed noise: the median of y given x is below its mean.
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(2000, 1))
    y = X[:, 0] + rng.exponential(1.0, size=2000)
    params = dict(hidden_layer_sizes=(), solver="lbfgs", max_iter=500, random_state=0)
    median = MLPRegressor("quantile", **params).fit(X, y).predict(X)
    mean = MLPRegressor("squared_error", **params).fit(X, y).predict(X)
    assert np.mean(y <= median) == pytest.approx(0.5, abs=0.03)
    assert np.mean(y <= mean) > 0.6


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_init_factors_start_where_scikit_learn_starts(clf_data, activation):
    # scikit-learn's activations (and no others): the same seed, the same
    # initial weights, hence the same sgd loss curve.
    X, y = clf_data
    params = dict(hidden_layer_sizes=(7, 5), activation=activation, solver="sgd", max_iter=2)
    params.update(random_state=0, shuffle=False, tol=0.0)
    ours, theirs = (Est(**params).fit(X, y) for Est in (MLPClassifier, SkMLPClassifier))
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_loss_curve_display_draws_every_solvers_run(clf_data, solver):
    pytest.importorskip("matplotlib")
    from sknet.display import LossCurveDisplay

    X, y = clf_data
    clf = MLPClassifier((6,), solver=solver, max_iter=4, random_state=0).fit(X, y)
    line = LossCurveDisplay.from_estimator(clf).lines_["training loss"]
    np.testing.assert_array_equal(line.get_ydata(), clf.loss_curve_)
    assert len(clf.loss_curve_) == clf.n_iter_ == 4
