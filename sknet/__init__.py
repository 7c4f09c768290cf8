"""sknet: scikit-learn compatible neural networks in vectorized NumPy."""

from ._estimators import MLPClassifier, MLPRegressor
from .nn.training import DivergenceError

__version__ = "0.1.0"

__all__ = ["DivergenceError", "MLPClassifier", "MLPRegressor", "__version__"]
