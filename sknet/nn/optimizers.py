"""Stochastic optimizers over the flat parameter vector.

An optimizer is a small object with two methods, in the spirit of optax:
``init(theta) -> state`` makes the state (a dict of arrays and counters, kept
by the caller so it survives warm starts, partial fits and pickling) and
``update(theta, grad, state, lr)`` takes one step in place. The learning rate
is an argument: schedules live apart (see ``schedules``). ``update`` may
overwrite ``grad``, which the caller recomputes for every batch anyway.
"""

import numpy as np


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``; then ``theta <- theta + v``, or with
    Nesterov's momentum ``theta <- theta + momentum * v - lr * g``.
    """

    def __init__(self, momentum=0.9, nesterov=True):
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, theta):
        return {"velocity": np.zeros_like(theta), "step": 0}

    def update(self, theta, grad, state, lr):
        v = state["velocity"]
        grad *= lr
        v *= self.momentum
        v -= grad
        if self.nesterov:
            theta -= grad
            theta += np.multiply(v, self.momentum, out=grad)
        else:
            theta += v
        state["step"] += 1


class Adam:
    """Adam (Kingma & Ba) with the bias correction folded into the step size."""

    def __init__(self, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._buffer = None

    def init(self, theta):
        return {"m": np.zeros_like(theta), "v": np.zeros_like(theta), "step": 0}

    def update(self, theta, grad, state, lr):
        m, v = state["m"], state["v"]
        buf = self._scratch(theta)
        state["step"] += 1
        t = state["step"]
        m *= self.beta_1
        m += np.multiply(grad, 1 - self.beta_1, out=buf)
        v *= self.beta_2
        np.multiply(grad, grad, out=buf)
        v += np.multiply(buf, 1 - self.beta_2, out=buf)
        step = lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        np.sqrt(v, out=buf)
        buf += self.epsilon
        np.divide(m, buf, out=buf)
        theta -= np.multiply(buf, step, out=buf)

    def _scratch(self, theta):
        if self._buffer is None or self._buffer.shape != theta.shape:
            self._buffer = np.empty_like(theta)
        return self._buffer


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
"""Optimizer classes by solver name."""
