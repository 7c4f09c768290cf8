"""scikit-learn's own estimator checks: with default parameters (no expected
failures), and with the parameters sknet adds set to other values."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknet import MLPClassifier, MLPRegressor

NON_DEFAULT = [
    MLPClassifier(solver="adamw", dropout=0.1, max_grad_norm=1.0, activation=("mish",)),
    MLPRegressor(loss="huber", huber_delta=0.5, dropout=(0.2,), max_grad_norm=5.0),
    MLPRegressor(loss="quantile", quantile=0.6, solver="adamw", activation=("silu",)),
    MLPRegressor(loss="absolute_error", solver="sgd", max_grad_norm=10.0),
]


def expected_failed_checks(estimator):
    """Dropout draws a mask per row, so a row of weight 2 and the same row
    twice see different masks: equal only in expectation."""
    if getattr(estimator, "dropout", 0.0) != 0.0:
        return {
            "check_sample_weight_equivalence_on_dense_data": "dropout masks differ per row",
            "check_sample_weight_equivalence_on_sparse_data": "dropout masks differ per row",
        }
    return {}


@parametrize_with_checks(
    [MLPClassifier(), MLPRegressor(), *NON_DEFAULT], expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
