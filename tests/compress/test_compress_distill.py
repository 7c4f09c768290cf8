import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sknet import MLPClassifier, MLPRegressor
from sknet.compress import distill
from sknet.compress._distill import soften


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


# ---------------------------------------------------------------- distill


def _split_blobs(n_classes=3, seed=0):
    X, y = make_classification(
        900,
        8,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        class_sep=3.0,
        n_clusters_per_class=1,
        random_state=seed,
    )
    y = np.array(["ant", "bee", "cat", "dog"])[y]
    return train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)


def test_a_distilled_network_reaches_the_teachers_accuracy():
    Xtr, Xte, ytr, yte = _split_blobs()
    teacher = HistGradientBoostingClassifier(max_iter=50, random_state=0).fit(Xtr, ytr)
    student = make_pipeline(StandardScaler(), MLPClassifier((16,), solver="lbfgs", random_state=0))
    fitted = distill(teacher, Xtr, student=student, temperature=2.0)
    assert not hasattr(student[-1], "coefs_")  # the student passed in is left unfitted
    np.testing.assert_array_equal(fitted.classes_, teacher.classes_)
    assert fitted.score(Xte, yte) >= teacher.score(Xte, yte) - 0.02
    assert np.mean(fitted.predict(Xte) == teacher.predict(Xte)) > 0.9


@pytest.mark.parametrize("temperature", [1.0, 3.0])
@pytest.mark.parametrize("labels", [["no", "yes"], [3, 1, 2]], ids=["binary", "multiclass"])
def test_the_student_predicts_the_teachers_probabilities_at_any_temperature(labels, temperature):
    # Trained on p ** (1 / T), the student's output layer is scaled by T
    # afterwards: a student of the teacher's form then gives p itself.
    X, teacher = _linear_teacher(len(labels), labels)
    student = MLPClassifier((), solver="lbfgs", max_iter=2000, tol=1e-10, random_state=1)
    fitted = distill(teacher, X, student=student, temperature=temperature)
    np.testing.assert_allclose(fitted.predict_proba(X), teacher.predict_proba(X), atol=2e-3)


def test_soften_keeps_the_ranking_and_flattens_with_temperature():
    P = np.array([[0.7, 0.2, 0.1, 0.0], [0.25, 0.25, 0.5, 0.0]])
    np.testing.assert_allclose(soften(P, 1.0), P)
    warm = soften(P, 2.0)
    np.testing.assert_allclose(warm.sum(axis=1), 1)
    np.testing.assert_allclose(warm[0, :3], np.sqrt(P[0, :3]) / np.sqrt(P[0, :3]).sum())
    assert np.all(warm[:, 3] == 0) and np.all(warm.argmax(axis=1) == P.argmax(axis=1))
    assert np.ptp(soften(P, 1e6)[:, :3][0]) < 1e-5  # hot: uniform over the possible classes


def test_a_regressor_teacher_is_copied_from_its_predictions():
    X, y = make_regression(400, 5, noise=5.0, random_state=0)
    teacher = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
    student = make_pipeline(
        StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs", random_state=0)
    )
    fitted = distill(teacher, X, student=student, temperature=5.0)  # ignored
    assert r2_score(teacher.predict(X), fitted.predict(X)) > 0.9


def test_sample_weight_reaches_the_student_loss():
    X, teacher = _linear_teacher(3, [0, 1, 2])
    student = MLPClassifier((4,), solver="lbfgs", max_iter=50, random_state=0)
    w = (np.arange(len(X)) % 2).astype(float)
    weighted = distill(teacher, X, student=student, sample_weight=w)
    subset = distill(teacher, X[w > 0], student=student)
    np.testing.assert_allclose(weighted.coefs_[0], subset.coefs_[0], rtol=1e-6, atol=1e-8)


def test_distilled_networks_export_to_onnx_with_the_same_outputs():
    pytest.importorskip("onnxruntime")
    from sknet.onnx import OnnxPredictor, to_onnx

    Xtr, Xte, ytr, _ = _split_blobs()
    Xtr, Xte = Xtr.astype(np.float32), Xte.astype(np.float32)
    teacher = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(Xtr, ytr)
    student = make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=30, random_state=0))
    fitted = distill(teacher, Xtr, student=student, temperature=2.0)
    runtime = OnnxPredictor(to_onnx(fitted, Xtr[:1]), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(runtime.predict_proba(Xte), fitted.predict_proba(Xte), atol=1e-5)
    np.testing.assert_array_equal(runtime.predict(Xte), fitted.predict(Xte))


def test_bad_teachers_and_students_are_refused_clearly():
    X, teacher = _linear_teacher(3, [0, 1, 2])
    y = teacher.predict(X)
    student = MLPClassifier((4,), max_iter=5)
    with pytest.raises(AttributeError, match="no predict_proba"):
        distill(SVC().fit(X, y), X, student=student)
    with pytest.raises(NotFittedError):
        distill(RandomForestClassifier(), X, student=student)
    with pytest.raises(TypeError, match="student must be a sknet MLPRegressor"):
        distill(Ridge().fit(X, y), X, student=student)
    with pytest.raises(TypeError, match="student must be a sknet MLPClassifier"):
        distill(teacher, X, student=MLPRegressor(hidden_layer_sizes=(4,)))
    with pytest.raises(TypeError, match="sknet MLPClassifier or MLPRegressor"):
        distill(teacher, X, student=SklearnMLPClassifier((4,)))
    with pytest.raises(ValueError, match="temperature"):
        distill(teacher, X, student=student, temperature=0.0)
    with pytest.raises(TypeError, match="neither"):
        distill(KMeans(2, n_init=1).fit(X), X, student=student)
