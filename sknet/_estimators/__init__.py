"""scikit-learn glue around the NumPy core: the public estimators."""

from ._classifier import MLPClassifier
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
