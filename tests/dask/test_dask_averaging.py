"""strategy='average': federated averaging, one loss per round, early stopping per round."""

import dask.array as da
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from sknet import MLPClassifier, MLPRegressor
from sknet.dask import DataParallel

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(
        n_samples=2400, n_features=10, n_informative=6, n_classes=3, class_sep=1.5, random_state=2
    )
    return train_test_split(X, y, test_size=600, random_state=0)


def test_averaging_reaches_the_local_accuracy(client, problem):
    X_train, X_test, y_train, y_test = problem
    net = MLPClassifier((16,), learning_rate_init=0.01, max_iter=60, random_state=0)
    local = clone(net).fit(X_train, y_train)
    chunks = (600, 300, 450, 450)  # unequal partitions
    # 15 rounds of 4 local epochs: as many passes over the data as the local fit
    model = DataParallel(net.set_params(max_iter=15), strategy="average", local_epochs=4)
    model.fit(da.from_array(X_train, chunks=(chunks, 10)), da.from_array(y_train, chunks=(chunks,)))
    fitted = model.estimator_
    assert len(fitted.loss_curve_) == fitted.n_iter_ == 15
    assert fitted.t_ == 15 * 4 * len(y_train)
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0]
    assert model.score(X_test, y_test) >= local.score(X_test, y_test) - 0.02


def test_local_epochs_train_more_per_round(client, problem):
    X_train, _, y_train, _ = problem
    net = MLPClassifier((8,), solver="sgd", learning_rate_init=0.05, max_iter=3, random_state=0)
    one = DataParallel(net, strategy="average").fit(X_train, y_train)
    three = DataParallel(net, strategy="average", local_epochs=3).fit(X_train, y_train)
    assert len(three.estimator_.loss_curve_) == 3
    assert three.estimator_.t_ == 3 * one.estimator_.t_
    assert three.estimator_.loss_ < one.estimator_.loss_


def test_early_stopping_works_per_round_and_keeps_the_best_round(client, problem):
    X_train, _, y_train, _ = problem
    net = MLPClassifier(
        (16,),
        learning_rate_init=0.05,
        early_stopping=True,
        n_iter_no_change=2,
        tol=1e-3,
        max_iter=60,
        random_state=0,
    )
    model = DataParallel(net, strategy="average").fit(X_train, y_train)
    fitted = model.estimator_
    scores = fitted.validation_scores_
    assert fitted.n_iter_ < 60
    assert len(scores) == len(fitted.loss_curve_) == len(fitted.validation_loss_curve_)
    assert fitted.best_validation_score_ == max(scores)
    # The same run stopped at its best round ends with the weights kept.
    best_round = int(np.argmax(scores)) + 1
    short = DataParallel(clone(net).set_params(max_iter=best_round), strategy="average")
    short.fit(X_train, y_train)
    for a, b in zip(fitted.coefs_, short.estimator_.coefs_):
        assert_allclose(a, b, rtol=1e-12)


def test_rounds_of_local_lbfgs_share_the_penalty(client):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 4))
    y = X @ [1.0, 2.0, -1.0, 0.5] + rng.normal(scale=0.05, size=600)
    net = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", alpha=100.0, max_iter=5)
    model = DataParallel(net, strategy="average", local_epochs=20).fit(X, y)
    exact = DataParallel(net.set_params(max_iter=200)).fit(X, y)
    # Linear least squares: averaging the partitions' ridge solutions
    # (each with its share of alpha) lands near the global one.
    assert_allclose(model.estimator_.coefs_[0], exact.estimator_.coefs_[0], atol=0.02)
    assert not hasattr(model.estimator_, "_state")
