"""The NumPy core of sknet: networks, losses, optimizers, schedules, training.

It depends on NumPy and SciPy only, never on scikit-learn, so the math can be
read and tested on its own.
"""

from .network import MLP
from .workspace import Workspace

__all__ = ["MLP", "Workspace"]
