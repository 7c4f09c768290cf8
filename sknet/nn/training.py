"""The minibatch training loop: epochs, the stopping policy, the hooks.

Nothing here prints or knows about estimators. A run reports through
*hooks*, an object with ``epoch_begin(epoch)``, called before an epoch, and
``epoch_end(record, theta) -> stop``, called after it with an
:class:`EpochRecord` and the parameters the epoch ended with; a true return
stops the run. ``nn.lbfgs`` reports its iterations through the same two
calls, so whatever watches one solver watches every solver.

Training stops when the monitored quantity has not improved by more than
``tol`` for ``n_iter_no_change`` epochs and the schedule gives up. That
quantity is the training loss, or, when a ``validate(theta) -> (score,
loss, improved)`` callable is given, a validation score the caller keeps
(early stopping; the caller also keeps the best parameters). Ctrl-C
(``KeyboardInterrupt``) ends a run cleanly, keeping the epochs completed.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


class DivergenceError(ValueError, ArithmeticError):
    """Training produced a non-finite loss or non-finite parameters.

    A ``ValueError``, as scikit-learn's "Solver produced non-finite parameter
    weights" error is, so code written for scikit-learn catches it. The
    estimators raise it with the remedy that fits the case in the message
    (scaled targets or features, a lower ``learning_rate_init``) and keep
    their previous fitted state, so nothing the user had is lost.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import DivergenceError, MLPRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 2)) * 1e200
    >>> try:
    ...     MLPRegressor(solver="sgd", learning_rate_init=10.0).fit(X, X[:, 0])
    ... except ValueError as error:
    ...     print(isinstance(error, DivergenceError), "Lower learning_rate_init" in str(error))
    True True
    """


@dataclass
class Data:
    """Training rows: inputs ``X``, targets ``Y`` (2-D), optional weights ``w``."""

    X: object
    Y: np.ndarray
    w: np.ndarray = None

    @property
    def n(self):
        return self.X.shape[0]


@dataclass
class Settings:
    """What a minibatch run does; fixed for the run."""

    batch_size: int
    max_epochs: int
    lr0: float
    alpha: float = 0.0
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: int = 10


@dataclass
class State:
    """What carries over between runs (warm starts, partial fits).

    Plain numbers, lists and the optimizer's dict of arrays, so
    ``vars(state)`` is a plain dict that pickles and persists as it is, and
    ``State(**that_dict)`` continues the run.
    """

    lr: float
    optimizer: dict
    samples_seen: int = 0
    epochs: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement: int = 0
    cycle_start: int = 0
    schedule: object = None

    def restart(self, lr0, schedule=None):
        """Start the learning-rate schedule again from ``lr0``.

        ``schedule`` records the settings the rate now follows (the caller
        compares it to decide when a change needs a restart). Optimizer
        moments, curves and counters carry on.
        """
        self.lr, self.cycle_start, self.schedule = lr0, self.epochs, schedule


@dataclass
class EpochRecord:
    """One epoch's (or L-BFGS iteration's) figures, handed to ``hooks.epoch_end``.

    ``lr``, ``plateau`` and ``next_lr`` are None for L-BFGS, which has no
    learning rate; the validation figures are None without validation.
    """

    epoch: int
    loss: float
    lr: float = None
    seconds: float = 0.0
    validation_score: float = None
    validation_loss: float = None
    plateau: str = None  # None, "lower" (the rate) or "stop", see the schedule
    next_lr: float = None


class NoHooks:
    """Hooks that do nothing."""

    def epoch_begin(self, epoch):
        pass

    def epoch_end(self, record, theta):
        return False


def run_epoch(net, theta, data, order, settings, optimizer, state, ws):
    """One pass over ``data`` in minibatches; returns the mean batch loss.

    ``order`` is a permutation of the rows, or None to take them in order.
    In order, batches are views; shuffled, each batch is gathered into
    buffers made once per epoch (see ``_gather``), never a copy of the
    whole dataset. A batch whose sample weights are all zero has no
    gradient: it takes no step and does not count in the mean. The weights
    of ``data`` must have a positive total.
    """
    n, size, total, counted = data.n, settings.batch_size, 0.0, 0
    gather = None if order is None else _gather(data, size)
    for start in range(0, n, size):
        if gather is None:
            rows = slice(start, start + size)
            X, Y, w = data.X[rows], data.Y[rows], None if data.w is None else data.w[rows]
        else:
            X, Y, w = gather(order[start : start + size])
        if w is not None and not w.sum() > 0:
            continue
        loss = net.loss_grad(theta, X, Y, w, settings.alpha, ws)
        optimizer.update(theta, ws.grad, state.optimizer, state.lr)
        total += loss * X.shape[0]
        counted += X.shape[0]
    return total / counted


def _gather(data, size):
    """A function ``rows -> (X, Y, w)`` that copies those rows of ``data``
    into buffers of ``size`` rows, overwritten at every call.

    Measured inside a training run (the default network, 200 rows of 50
    features), ``np.take(..., mode="clip")`` into a buffer gathers a batch in
    less than half the time of fancy indexing, which makes a fresh array per
    batch; ``mode="clip"`` spares the buffered copy that ``"raise"`` makes
    (``rows`` come from a permutation, so they are valid). SciPy sparse ``X``
    is gathered by fancy indexing.
    """

    def buffer(A):
        return np.empty((size, *A.shape[1:]), A.dtype)

    X_buf = None if sp.issparse(data.X) else buffer(data.X)
    Y_buf, w_buf = buffer(data.Y), None if data.w is None else buffer(data.w)

    def take(A, rows, out):
        if out is None:
            return A[rows]
        return A.take(rows, axis=0, out=out[: len(rows)], mode="clip")

    def gather(rows):
        w = None if w_buf is None else take(data.w, rows, w_buf)
        return take(data.X, rows, X_buf), take(data.Y, rows, Y_buf), w

    return gather


def fit_minibatch(
    net, theta, data, settings, optimizer, schedule, state, rng, validate=None, hooks=None
):
    """Train ``theta`` in place for up to ``settings.max_epochs`` epochs.

    Returns why it stopped: ``"converged"`` (no improvement larger than
    ``tol`` for ``n_iter_no_change`` epochs and the schedule gives up),
    ``"max_epochs"``, ``"callback"`` (a hook asked) or ``"interrupted"``
    (Ctrl-C). ``theta`` and ``state`` then hold the epochs completed. A
    non-finite loss (training or validation) or parameters raise
    :class:`DivergenceError` and leave the diverged epoch unrecorded. With
    ``settings.shuffle`` each epoch permutes the previous epoch's order, as
    scikit-learn does, so the same seed visits the rows in the same order.
    """
    hooks = hooks or NoHooks()
    ws = net.workspace(min(settings.batch_size, data.n), rng=rng)  # rng draws dropout masks
    order = np.arange(data.n) if settings.shuffle else None
    try:
        for _ in range(settings.max_epochs):
            hooks.epoch_begin(state.epochs)
            started = time.perf_counter()
            if settings.shuffle:  # permutes the last order, as scikit-learn does
                rng.shuffle(order)  # = order[rng.permutation(n)], without two more arrays of n
            with np.errstate(over="ignore", invalid="ignore"):
                loss = run_epoch(net, theta, data, order, settings, optimizer, state, ws)
            record = _end_epoch(theta, loss, data.n, settings, schedule, state, validate)
            record.seconds = time.perf_counter() - started
            if hooks.epoch_end(record, theta):
                return "callback"
            if record.plateau == "stop":
                return "converged"
    except KeyboardInterrupt:
        return "interrupted"
    return "max_epochs"


def _end_epoch(theta, loss, n, settings, schedule, state, validate):
    """Bookkeeping after an epoch: divergence, curves, improvement, next rate."""
    check_finite(loss, theta, f"Training diverged in epoch {state.epochs + 1}")
    score = val_loss = None
    if validate is None:
        improved = not loss > state.best_loss - settings.tol
        state.best_loss = min(state.best_loss, loss)
    else:
        score, val_loss, improved = validate(theta)
        if not np.isfinite(val_loss):
            raise DivergenceError(
                f"Training diverged in epoch {state.epochs + 1}: the validation loss is {val_loss}."
            )
    state.no_improvement = 0 if improved else state.no_improvement + 1
    state.samples_seen += n
    state.epochs += 1
    state.loss_curve.append(loss)
    record = EpochRecord(state.epochs, loss, state.lr, 0.0, score, val_loss)
    epoch = state.epochs - state.cycle_start
    state.lr = schedule.epoch_end(state.lr, settings.lr0, state.samples_seen, epoch)
    record.plateau = _plateau(schedule, settings, state)
    record.next_lr = state.lr
    return record


def _plateau(schedule, settings, state):
    """What the schedule does once training stopped improving: None, "lower" or "stop"."""
    if state.no_improvement <= settings.n_iter_no_change:
        return None
    state.lr, stop = schedule.plateau(state.lr)
    if stop:
        return "stop"
    state.no_improvement = 0
    return "lower"


def check_finite(loss, theta, what):
    """Raise :class:`DivergenceError` when ``loss`` or ``theta`` is not finite.

    The message is ``what`` (e.g. ``"Training diverged in epoch 3"``), then
    what is not finite.
    """
    if not np.isfinite(loss):
        problem = f"the loss is {loss}"
    elif not np.isfinite(theta).all():
        problem = "the parameters are no longer finite"
    else:
        return
    raise DivergenceError(f"{what}: {problem}.")
