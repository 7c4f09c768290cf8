"""Pipelines, grid search with several scorers, and quality against scikit-learn."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
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
