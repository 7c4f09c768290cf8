"""Stochastic optimizers over the flat parameter vector.

An optimizer is a small object with two methods, in the spirit of optax:
``init(theta) -> state`` makes the state (a dict of arrays and counters, kept
by the caller so it survives warm starts, partial fits and pickling) and
``update(theta, grad, state, lr)`` takes one step in place. The learning rate
is an argument: schedules live apart (see ``schedules``). ``update`` may
overwrite ``grad``, which the caller recomputes for every batch anyway.
"""

import math

import numpy as np

from .blas import axpy, scal


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
        v, lr, momentum = state["velocity"], float(lr), float(self.momentum)  # see Adam.update
        scal(lr, grad)  # BLAS calls: the cheapest per call (see nn.blas)
        scal(momentum, v)
        axpy(-1.0, grad, v)
        if self.nesterov:
            axpy(-1.0, grad, theta)
            axpy(momentum, v, theta)
        else:
            axpy(1.0, v, theta)
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
        # Python floats throughout: a NumPy float64 scalar (np.sqrt's result,
        # or a parameter drawn with np.logspace) would make each float32
        # product run in float64 and cast back, several times slower.
        b1, b2, eps = float(self.beta_1), float(self.beta_2), float(self.epsilon)
        m, v = state["m"], state["v"]
        buf = self._scratch(theta)
        state["step"] += 1
        t = state["step"]
        axpy(1 - b1, grad, scal(b1, m))  # BLAS calls: the cheapest per call (see nn.blas)
        axpy(1 - b2, np.multiply(grad, grad, out=buf), scal(b2, v))
        step = float(lr) * math.sqrt(1 - b2**t) / (1 - b1**t)
        np.sqrt(v, out=buf)
        buf += eps
        axpy(-step, np.divide(m, buf, out=buf), theta)

    def _scratch(self, theta):
        if self._buffer is None or self._buffer.shape != theta.shape:
            self._buffer = np.empty_like(theta)
        return self._buffer


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019, Algorithm 2).

    Each step is ``theta <- theta - eta * (lr_init * mhat / (sqrt(vhat) + eps)
    + weight_decay * theta)`` with ``eta = lr / lr_init`` the schedule's
    multiplier (1 when ``lr_init`` is None), the decay applied to the weights
    ``theta[:n_weights]`` only, never the biases (as the core's L2 term; all
    of ``theta`` when ``n_weights`` is None). The Adam part is :class:`Adam`'s.

    Adam with an L2 penalty adds ``alpha * W`` to the gradient, and Adam then
    divides it by ``sqrt(v)``: weights with large gradients are barely
    regularized, and a weight whose loss gradient is zero moves by ``lr``
    whatever ``alpha`` is. AdamW shrinks every weight by the same factor
    ``1 - eta * weight_decay`` per step, apart from the gradient's scale;
    train it without the L2 term (``alpha=0`` in ``loss_grad``).

    Examples
    --------
    >>> import numpy as np
    >>> opt = AdamW(weight_decay=0.1, n_weights=2)
    >>> theta = np.array([1.0, -2.0, 3.0])  # two weights, one bias
    >>> opt.update(theta, np.zeros(3), opt.init(theta), lr=0.01)
    >>> theta
    array([ 0.9, -1.8,  3. ])
    """

    def __init__(
        self, weight_decay, n_weights=None, lr_init=None, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(beta_1, beta_2, epsilon)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0; got {weight_decay!r}.")
        self.weight_decay = weight_decay
        self.n_weights = n_weights
        self.lr_init = lr_init

    def update(self, theta, grad, state, lr):
        if self.weight_decay:
            eta = 1.0 if self.lr_init is None else lr / self.lr_init
            # The Adam step does not read theta, so decaying first gives the
            # paper's update, which decays theta_{t-1}.
            scal(1.0 - eta * self.weight_decay, theta[: self.n_weights])
        super().update(theta, grad, state, lr)


def global_norm(grad):
    """Euclidean norm of ``grad``, rescaled when the squares overflow (float32)."""
    norm = float(np.sqrt(np.dot(grad, grad)))
    if np.isfinite(norm):
        return norm
    top = float(np.max(np.abs(grad)))
    if not np.isfinite(top):
        return top  # inf or nan in the gradient itself: nothing to rescale
    return top * float(np.sqrt(np.dot(grad / top, grad / top)))


class ClipGradNorm:
    """Another optimizer's steps with the global gradient norm clipped.

    Before each step ``grad <- grad * min(1, max_norm / |grad|)``: the
    direction is kept and the step bounded, the standard remedy for the
    exploding gradients that otherwise end a fit in a divergence (Pascanu et
    al., 2013). ``|grad|`` is the norm of the whole flat gradient (L2 term
    included). The state is the wrapped optimizer's.

    Examples
    --------
    >>> import numpy as np
    >>> opt = ClipGradNorm(SGD(momentum=0.0, nesterov=False), max_norm=1.0)
    >>> theta = np.zeros(2)
    >>> opt.update(theta, np.array([3.0, 4.0]), opt.init(theta), lr=1.0)
    >>> theta
    array([-0.6, -0.8])
    """

    def __init__(self, optimizer, max_norm):
        if not max_norm > 0:
            raise ValueError(f"max_norm must be > 0; got {max_norm!r}.")
        self.optimizer = optimizer
        self.max_norm = float(max_norm)

    def init(self, theta):
        return self.optimizer.init(theta)

    def update(self, theta, grad, state, lr):
        norm = global_norm(grad)
        if norm > self.max_norm:
            grad *= grad.dtype.type(self.max_norm / norm)
        self.optimizer.update(theta, grad, state, lr)


def clip_grad_norm(optimizer, max_norm):
    """``optimizer`` with its gradient norm clipped to ``max_norm``; None: unchanged."""
    return optimizer if max_norm is None else ClipGradNorm(optimizer, max_norm)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
"""Optimizer classes by solver name."""
