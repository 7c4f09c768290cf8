"""scikit-learn's estimator checks on DataParallel, with NumPy input on an in-process cluster."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknet import MLPClassifier, MLPRegressor
from sknet.dask import DataParallel

# L-BFGS keeps each fit to a few dozen map-reduce passes; the checks fit
# about a hundred times.
ESTIMATORS = [
    DataParallel(MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0)),
    DataParallel(MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(client, estimator, check):
    check(estimator)
