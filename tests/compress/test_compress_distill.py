import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknet import MLPClassifier


def _linear_teacher(n_classes, labels, seed=0):
    X, y = make_classification(
        200, 5, n_informative=3, n_redundant=0, n_classes=n_classes, random_state=seed
    )
    teacher = MLPClassifier((), solver="lbfgs", max_iter=500, random_state=0)
    return X, teacher.fit(X, np.asarray(labels)[y])


@pytest.mark.parametrize("labels", [["no", "yes"], [3, 1, 2]], ids=["binary", "multiclass"])
def test_fit_proba_recovers_a_teacher_it_can_represent(labels):
    # Soft targets carry the teacher's whole distribution: a student of the
    # teacher's form recovers its probabilities, which hard labels (the
    # argmax) could not give.
    X, teacher = _linear_teacher(len(labels), labels)
    P = teacher.predict_proba(X)
    student = MLPClassifier((), solver="lbfgs", max_iter=2000, tol=1e-10, random_state=1)
    student._fit_proba(X, P, teacher.classes_)
    np.testing.assert_array_equal(student.classes_, teacher.classes_)
    np.testing.assert_allclose(student.predict_proba(X), P, atol=1e-3)
    assert not hasattr(student, "_target_proba")


def test_fit_proba_keeps_classes_no_row_favours_and_reorders_columns():
    X, teacher = _linear_teacher(3, ["a", "b", "c"])
    P = teacher.predict_proba(X)
    # "d" never wins; columns given in another order than sorted classes.
    P4 = np.hstack([np.full((len(X), 1), 0.01), 0.99 * P[:, ::-1]])
    student = MLPClassifier((8,), solver="lbfgs", max_iter=300, random_state=0)
    student._fit_proba(X, P4, ["d", "c", "b", "a"])
    np.testing.assert_array_equal(student.classes_, ["a", "b", "c", "d"])
    assert student.predict_proba(X).shape == (len(X), 4)
    assert np.mean(student.predict(X) == teacher.predict(X)) > 0.8


def test_fit_proba_with_early_stopping_scores_the_most_probable_class():
    X, teacher = _linear_teacher(3, [0, 1, 2])
    student = MLPClassifier(
        (8,), early_stopping=True, learning_rate_init=0.01, max_iter=30, random_state=0
    )
    student._fit_proba(X, teacher.predict_proba(X), teacher.classes_)
    assert 0.5 < student.best_validation_score_ <= 1
    assert len(student.validation_loss_curve_) == student.n_iter_


@pytest.mark.parametrize(
    "proba",
    [
        np.full((200, 2), 0.5),
        np.full((200, 3), 0.5),
        np.full(200, 1 / 3),
        np.full((200, 3), np.nan),
    ],
    ids=["columns", "sums", "1-D", "nan"],
)
def test_fit_proba_refuses_rows_that_are_not_distributions(proba):
    X = np.zeros((200, 5))
    with pytest.raises(ValueError, match="proba"):
        MLPClassifier((4,))._fit_proba(X, proba, [0, 1, 2])
