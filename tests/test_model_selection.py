"""Pipelines, grid search with several scorers, and quality against scikit-learn."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize("refit", ["accuracy", "recall_macro", "f1_macro"])
def test_grid_search_in_a_pipeline_with_three_scorers(clf_data, refit):
    X, y = clf_data
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=30, random_state=0))
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(8,), (16, 8)],
        "mlpclassifier__alpha": [1e-4, 1e-1],
        "mlpclassifier__activation": ["relu", "gelu"],
    }
    search = GridSearchCV(
        pipe, grid, scoring=["accuracy", "recall_macro", "f1_macro"], refit=refit, cv=3
    ).fit(X, y)
    results = search.cv_results_
    assert len(results["params"]) == 8
    for name in ("accuracy", "recall_macro", "f1_macro"):
        assert np.all(np.isfinite(results[f"mean_test_{name}"]))
    assert search.best_score_ == pytest.approx(max(results[f"mean_test_{refit}"]))
    assert search.predict(X).shape == y.shape


DATASETS = {
    "digits": (load_digits, "classifier"),
    "breast_cancer": (load_breast_cancer, "classifier"),
    "wine": (load_wine, "classifier"),
    "diabetes": (load_diabetes, "regressor"),
}


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_cross_validated_quality_matches_scikit_learn(name):
    loader, kind = DATASETS[name]
    X, y = loader(return_X_y=True)
    if kind == "classifier":
        params = dict(hidden_layer_sizes=(64,), max_iter=200, random_state=0)
        ours, theirs = MLPClassifier(**params), SkMLPClassifier(**params)
        cv = StratifiedKFold(3, shuffle=True, random_state=0)
    else:
        params = dict(
            hidden_layer_sizes=(64,), max_iter=500, learning_rate_init=0.01, random_state=0
        )
        ours, theirs = MLPRegressor(**params), SkMLPRegressor(**params)
        cv = KFold(3, shuffle=True, random_state=0)
    scores = [
        cross_val_score(make_pipeline(StandardScaler(), est), X, y, cv=cv).mean()
        for est in (ours, theirs)
    ]
    assert scores[0] >= scores[1] - 0.01, scores


def test_grid_search_over_the_issue_12_parameters(reg_data):
    """dropout, max_grad_norm, solver='adamw', per-layer activations and the
    robust losses with their parameters: cloned, set and scored by a search."""
    X, y = reg_data
    grid = [
        {"dropout": [0.0, (0.2, 0.1)], "max_grad_norm": [None, 1.0], "solver": ["adam", "adamw"]},
        {"activation": [("tanh", "mish"), ("silu", "relu")]},
        {"loss": ["huber"], "huber_delta": [0.5, 2.0]},
        {"loss": ["quantile"], "quantile": [0.3, 0.7]},
    ]
    net = MLPRegressor(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(net, grid, cv=2, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 8 + 2 + 2 + 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.get_params()["hidden_layer_sizes"] == (6, 4)
