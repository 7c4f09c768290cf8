"""partial_fit, warm_start, seeds, schedules, early stopping, dtype, progress."""

import pickle
import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import f1_score, make_scorer, r2_score

from sknet import MLPClassifier, MLPRegressor
from sknet._estimators._progress import HAS_CALLBACKS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
STOCHASTIC = ["sgd", "adam"]


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_repeated_partial_fit_equals_fit(clf_data, solver):
    # Without shuffling; shuffled, each fit call permutes its previous epoch's
    # order while partial_fit starts anew, as in scikit-learn (see test_dropin).
    X, y = clf_data
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        shuffle=False,
        batch_size=32,
        random_state=0,
        tol=0.0,
        n_iter_no_change=100,
        learning_rate="invscaling",
    )
    fitted = MLPClassifier(max_iter=5, **params).fit(X, y)
    partial = MLPClassifier(**params)
    for _ in range(5):
        partial.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(partial.coefs_[0], fitted.coefs_[0], rtol=1e-12)
    assert partial.loss_curve_ == pytest.approx(fitted.loss_curve_)
    assert partial.t_ == fitted.t_ == 5 * len(X)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_warm_start_continues_with_the_optimizer_state(reg_data, solver):
    X, y = reg_data
    params = dict(
        hidden_layer_sizes=(8,), solver=solver, random_state=0, tol=0.0, n_iter_no_change=100
    )
    once = MLPRegressor(max_iter=6, **params).fit(X, y)
    twice = MLPRegressor(max_iter=3, warm_start=True, **params).fit(X, y)
    state_after_three = twice._state["training"]["optimizer"]["step"]
    twice.fit(X, y)
    assert (
        state_after_three > 0
        and twice._state["training"]["optimizer"]["step"] == 2 * state_after_three
    )
    np.testing.assert_allclose(twice.coefs_[0], once.coefs_[0], rtol=1e-10)
    assert len(twice.loss_curve_) == 6 and twice.n_iter_ == 3


def test_warm_start_refuses_a_changed_architecture(reg_data):
    X, y = reg_data
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X, y)
    reg.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="warm_start=False"):
        reg.fit(X, y)


def test_without_warm_start_fit_starts_over(reg_data):
    X, y = reg_data
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    first = reg.fit(X, y).coefs_[0].copy()
    np.testing.assert_array_equal(reg.fit(X, y).coefs_[0], first)
    assert len(reg.loss_curve_) == 3


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_same_random_state_gives_identical_weights(clf_data, Estimator):
    X, y = clf_data
    a = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=3).fit(X, y)
    b = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=3).fit(X, y)
    c = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=4).fit(X, y)
    for Wa, Wb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(Wa, Wb)
    assert not np.allclose(a.coefs_[0], c.coefs_[0])


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_clone_and_pickle_keep_predictions(clf_data, Estimator):
    X, y = clf_data
    est = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    refit = clone(est).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), est.predict(X))
    # a restored model keeps training from where it was
    if Estimator is MLPClassifier:
        restored.partial_fit(X, y)
        est.partial_fit(X, y)
        np.testing.assert_allclose(restored.coefs_[0], est.coefs_[0])


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive", "cosine"])
def test_every_schedule_with_every_stochastic_solver(clf_data, solver, schedule):
    X, y = clf_data
    lr0 = 0.05 if solver == "sgd" else 0.01
    clf = MLPClassifier(
        (16,),
        solver=solver,
        learning_rate=schedule,
        learning_rate_init=lr0,
        max_iter=40,
        random_state=0,
        verbose=True,
    )
    clf.fit(X, y)
    assert clf.loss_curve_[-1] < 0.9 * clf.loss_curve_[0]
    final_lr = clf._state["training"]["lr"]
    if schedule == "cosine":  # a cycle of max_iter epochs, then a restart
        assert final_lr == pytest.approx(lr0 * 0.5 * (1 + np.cos(np.pi * (clf.n_iter_ % 40) / 40)))
    elif schedule == "constant" or solver == "adam":  # adam ignores the others
        assert final_lr == lr0
    elif schedule == "invscaling":
        assert final_lr == pytest.approx(lr0 / (clf.t_ + 1) ** 0.5)


def test_adaptive_schedule_lowers_the_rate_on_a_plateau(clf_data):
    X, y = clf_data
    clf = MLPClassifier(
        (16,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=10.0,
        n_iter_no_change=2,
        max_iter=20,
        random_state=0,
    ).fit(X, y)
    assert clf._state["training"]["lr"] < 0.01


@pytest.mark.parametrize(
    "scoring", [None, "f1_macro", "recall_macro", make_scorer(f1_score, average="micro")]
)
def test_early_stopping_on_any_scorer_records_validation_loss(clf_data, scoring):
    X, y = clf_data
    clf = MLPClassifier(
        (16,),
        early_stopping=True,
        scoring=scoring,
        max_iter=200,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X, y)
    n = len(clf.loss_curve_)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == n == clf.n_iter_
    assert n < 200  # it stopped early
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(np.isfinite(clf.validation_loss_curve_))
    assert clf.best_loss_ is None


def test_early_stopping_restores_the_best_weights(clf_data):
    X, y = clf_data
    clf = MLPClassifier(
        (16,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        random_state=0,
        learning_rate_init=0.05,
    ).fit(X, y)
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    again = MLPClassifier((16,), max_iter=best_epoch, random_state=0, learning_rate_init=0.05)
    # Same split and same shuffles: train on the early-stopping training rows.
    again.set_params(early_stopping=True, n_iter_no_change=10_000).fit(X, y)
    np.testing.assert_allclose(again.coefs_[0], clf.coefs_[0])


def test_early_stopping_scores_each_epochs_parameters_on_a_copy(clf_data):
    # The scorer gets a model holding the epoch's parameters, never the
    # estimator being fitted; the best epoch's are the ones kept.
    X, y = clf_data
    seen = []

    def accuracy(model, X_val, y_val):
        seen.append((model, [W.copy() for W in model.coefs_]))
        return float(np.mean(model.predict(X_val) == y_val))

    clf = MLPClassifier((8,), early_stopping=True, scoring=accuracy, max_iter=20, random_state=0)
    clf.fit(X, y)
    assert len(seen) == clf.n_iter_ and all(model is not clf for model, _ in seen)
    best = seen[int(np.argmax(clf.validation_scores_))][1]
    for kept, scored in zip(clf.coefs_, best):
        np.testing.assert_array_equal(kept, scored)


def test_without_early_stopping_validation_attributes_are_none(clf_data):
    X, y = clf_data
    clf = MLPClassifier((4,), max_iter=3).fit(X, y)
    assert clf.validation_scores_ is None and clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None and clf.best_loss_ == min(clf.loss_curve_)


def test_regressor_early_stopping_uses_r2_by_default(reg_data):
    X, y = reg_data
    params = dict(
        hidden_layer_sizes=(16,), early_stopping=True, learning_rate_init=0.05, random_state=0
    )
    reg = MLPRegressor(**params).fit(X, y)
    assert np.argmax(reg.validation_scores_) + 1 < reg.n_iter_  # stopped after its best epoch
    validation_rows = []

    def r2_recording_rows(estimator, X_val, y_val):
        validation_rows.append((X_val, y_val))
        return r2_score(y_val, estimator.predict(X_val))

    recorded = MLPRegressor(scoring=r2_recording_rows, **params).fit(X, y)
    np.testing.assert_array_equal(reg.validation_scores_, recorded.validation_scores_)
    X_val, y_val = validation_rows[0]
    assert r2_score(y_val, reg.predict(X_val)) == pytest.approx(reg.best_validation_score_)


def test_partial_fit_refuses_early_stopping(clf_data):
    X, y = clf_data
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(clf_data, Estimator, dtype):
    X, y = clf_data
    est = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X.astype(dtype), y)
    assert all(W.dtype == dtype for W in est.coefs_ + est.intercepts_)
    out = est.predict_proba(X.astype(dtype)) if Estimator is MLPClassifier else est.predict(X)
    assert out.dtype == dtype


def test_dtype_parameter_trains_float64_input_in_float32(clf_data):
    X, y = clf_data
    fast = MLPClassifier((8,), max_iter=30, random_state=0, dtype="float32").fit(X, y)
    slow = MLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    assert fast.coefs_[0].dtype == np.float32 and slow.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(fast.predict_proba(X), slow.predict_proba(X), atol=1e-3)
    assert fast.predict_proba(X).dtype == np.float32


def test_verbose_lines_carry_sknets_figures_after_scikit_learns(clf_data, capsys):
    X, y = clf_data
    MLPClassifier(
        (4,), max_iter=3, verbose=True, early_stopping=True, scoring="f1_macro", n_iter_no_change=50
    ).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6
    for i, (train, validation) in enumerate(zip(lines[::2], lines[1::2]), start=1):
        assert re.match(rf"Iteration {i}, loss = \d\.\d{{8}} \| lr 0\.001 \| \d+\.\d\d s$", train)
        assert re.match(r"Validation score: \d\.\d{6} \| f1_macro \| val loss \d", validation)


def test_lbfgs_verbose_and_loss_curve(clf_data, capsys):
    X, y = clf_data
    clf = MLPClassifier((4,), solver="lbfgs", max_iter=5, verbose=True).fit(X, y)
    assert len(clf.loss_curve_) == clf.n_iter_ == 5
    assert capsys.readouterr().out.count("Iteration") == 5


@pytest.mark.skipif(not HAS_CALLBACKS, reason="sklearn.callback needs scikit-learn >= 1.9")
class TestCallbacks:
    def test_scoring_monitor_sees_every_epoch(self, clf_data):
        from sklearn.callback import ScoringMonitor

        X, y = clf_data
        monitor = ScoringMonitor(scoring="accuracy")
        clf = MLPClassifier((8,), max_iter=4, random_state=0).set_callbacks(monitor)
        clf.fit(X, y)
        logs = monitor.get_logs()
        rows = [r for r in _log_rows(logs) if r.get("task_name") == "epoch"]
        assert len(rows) == 4
        assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))

    def test_callback_can_stop_training(self, clf_data):
        X, y = clf_data

        class StopAfterTwo:
            def setup(self, estimator, context):
                self.ends = 0

            def on_fit_task_begin(self, estimator, context):
                pass

            def on_fit_task_end(self, estimator, context):
                self.ends += 1
                return self.ends == 2

            def teardown(self, estimator, context):
                pass

        clf = MLPClassifier((8,), max_iter=50).set_callbacks(StopAfterTwo()).fit(X, y)
        assert clf.n_iter_ == 2

    def test_lbfgs_iterations_are_tasks_as_epochs_are(self, clf_data):
        from sklearn.callback import ScoringMonitor

        X, y = clf_data
        monitor = ScoringMonitor(scoring="accuracy")
        clf = MLPClassifier((8,), solver="lbfgs", max_iter=6, random_state=0)
        clf.set_callbacks(monitor).fit(X, y)
        rows = [r for r in _log_rows(monitor.get_logs()) if r.get("task_name") == "iteration"]
        assert len(rows) == clf.n_iter_ == 6
        assert rows[-1]["accuracy"] == pytest.approx(clf.score(X, y))

    @pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
    def test_callback_can_stop_every_solver(self, clf_data, solver, recwarn):
        X, y = clf_data

        class StopAtSecondIteration:
            def setup(self, estimator, context):
                pass

            def on_fit_task_begin(self, estimator, context):
                pass

            def on_fit_task_end(self, estimator, context):
                return context.task_name != "fit" and context.task_id == 1

            def teardown(self, estimator, context):
                pass

        clf = MLPClassifier((8,), solver=solver, max_iter=50, random_state=0)
        clf.set_callbacks(StopAtSecondIteration()).fit(X, y)
        assert clf.n_iter_ == len(clf.loss_curve_) == 2
        assert not [w for w in recwarn if "converge" in str(w.message)]

    def test_progress_bar_inside_grid_search(self, clf_data, capsys):
        from sklearn.callback import ProgressBar
        from sklearn.model_selection import GridSearchCV

        X, y = clf_data
        grid = {"alpha": [1e-4, 1e-2]}
        plain = GridSearchCV(MLPClassifier((4,), max_iter=3, random_state=0), grid, cv=2)
        search = clone(plain).set_callbacks(ProgressBar())
        search.fit(X, y)
        drawn = capsys.readouterr().out
        assert drawn.count("candidate-split-evaluation | MLPClassifier - fit #") == 4
        assert "refit-with-best-params | MLPClassifier" in drawn
        plain.fit(X, y)  # the bar changes nothing that is fitted
        for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
            np.testing.assert_array_equal(search.cv_results_[key], plain.cv_results_[key])
        np.testing.assert_array_equal(
            search.best_estimator_.coefs_[0], plain.best_estimator_.coefs_[0]
        )

    def test_grid_search_propagates_callbacks_to_every_epoch(self, clf_data):
        from sklearn.model_selection import GridSearchCV

        class CountEpochs:
            max_propagation_depth = None

            def __init__(self):
                self.epochs = 0

            def setup(self, estimator, context):
                pass

            def on_fit_task_begin(self, estimator, context):
                pass

            def on_fit_task_end(self, estimator, context):
                if isinstance(estimator, MLPClassifier) and context.task_name == "epoch":
                    self.epochs += 1

            def teardown(self, estimator, context):
                pass

        X, y = clf_data
        counter = CountEpochs()
        search = GridSearchCV(
            MLPClassifier((4,), max_iter=3, tol=0.0, n_iter_no_change=50),
            {"alpha": [1e-4, 1e-2]},
            cv=2,
        ).set_callbacks(counter)
        search.fit(X, y)
        # 2 candidates x 2 folds + the refit, 3 epochs each
        assert counter.epochs == (2 * 2 + 1) * 3


def _log_rows(logs):
    if isinstance(logs, dict):
        logs = next(iter(logs.values()))
    if isinstance(logs, list):
        rows = []
        for log in logs:
            rows += log.data if hasattr(log, "data") else [log]
        return rows
    return logs.data
