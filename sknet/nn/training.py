"""Training loops: minibatch epochs with a stopping policy, and L-BFGS.

Nothing here prints or knows about estimators. The caller passes ``hooks``
(an object with ``epoch_begin(epoch)`` and ``epoch_end(record) -> stop``) to
report progress or stop early, and ``validate(theta) -> (score, loss)`` to
monitor a validation set.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
import scipy.sparse as sp


class DivergenceError(ArithmeticError):
    """Training produced a non-finite loss or non-finite parameters.

    The estimators raise it with the remedy in the message (a lower
    ``learning_rate_init``, scaled features) and keep their previous fitted
    state, so nothing the user had is lost.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import DivergenceError, MLPRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 2)) * 1e200
    >>> try:
    ...     MLPRegressor(solver="sgd", learning_rate_init=10.0).fit(X, X[:, 0])
    ... except DivergenceError as error:
    ...     print("Lower learning_rate_init" in str(error))
    True
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
    """What carries over between runs (warm starts, partial fits)."""

    lr: float
    optimizer: dict
    samples_seen: int = 0
    epochs: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement: int = 0
    validation_scores: list = field(default_factory=list)
    validation_losses: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    best_theta: np.ndarray = None


@dataclass
class EpochRecord:
    """One epoch's figures, handed to ``hooks.epoch_end``."""

    epoch: int
    loss: float
    lr: float
    seconds: float
    validation_score: float = None
    validation_loss: float = None


class NoHooks:
    """Hooks that do nothing."""

    def epoch_begin(self, epoch):
        pass

    def epoch_end(self, record):
        return False


def run_epoch(net, theta, data, order, settings, optimizer, state, ws):
    """One pass over ``data`` in minibatches; returns the mean batch loss.

    ``order`` is a permutation of the rows, or None to take them in order.
    In order, batches are views; shuffled, each batch is gathered into
    buffers made once per epoch (see ``_gather``), never a copy of the
    whole dataset.
    """
    n, size, total = data.n, settings.batch_size, 0.0
    gather = None if order is None else _gather(data, size)
    for start in range(0, n, size):
        if gather is None:
            rows = slice(start, start + size)
            X, Y, w = data.X[rows], data.Y[rows], None if data.w is None else data.w[rows]
        else:
            X, Y, w = gather(order[start : start + size])
        loss = net.loss_grad(theta, X, Y, w, settings.alpha, ws)
        optimizer.update(theta, ws.grad, state.optimizer, state.lr)
        total += loss * X.shape[0]
    return total / n


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
    ``"max_epochs"`` or ``"callback"``.
    """
    hooks = hooks or NoHooks()
    ws = net.workspace(min(settings.batch_size, data.n), rng=rng)  # rng draws dropout masks
    for _ in range(settings.max_epochs):
        hooks.epoch_begin(state.epochs)
        started = time.perf_counter()
        order = rng.permutation(data.n) if settings.shuffle else None
        with np.errstate(over="ignore", invalid="ignore"):
            loss = run_epoch(net, theta, data, order, settings, optimizer, state, ws)
        _check_finite(loss, theta, state.epochs + 1)
        record = _end_epoch(theta, loss, data.n, settings, schedule, state, validate)
        record.seconds = time.perf_counter() - started
        if hooks.epoch_end(record):
            return "callback"
        if state.no_improvement > settings.n_iter_no_change:
            state.lr, stop = schedule.plateau(state.lr)
            if stop:
                return "converged"
            state.no_improvement = 0
    return "max_epochs"


def _end_epoch(theta, loss, n, settings, schedule, state, validate):
    """Bookkeeping after an epoch: curves, improvement count, next rate."""
    state.samples_seen += n
    state.epochs += 1
    state.loss_curve.append(loss)
    record = EpochRecord(state.epochs, loss, state.lr, 0.0)
    if validate is None:
        _track_loss(loss, settings.tol, state)
    else:
        record.validation_score, record.validation_loss = validate(theta)
        _track_score(theta, record.validation_score, settings.tol, state)
        state.validation_losses.append(record.validation_loss)
    state.lr = schedule.epoch_end(state.lr, settings.lr0, state.samples_seen, state.epochs)
    return record


def _track_loss(loss, tol, state):
    if loss > state.best_loss - tol:
        state.no_improvement += 1
    else:
        state.no_improvement = 0
    state.best_loss = min(state.best_loss, loss)


def _track_score(theta, score, tol, state):
    state.validation_scores.append(score)
    if score < state.best_validation_score + tol:
        state.no_improvement += 1
    else:
        state.no_improvement = 0
    if score > state.best_validation_score:
        state.best_validation_score = score
        state.best_theta = theta.copy()


def _check_finite(loss, theta, epoch):
    if not (np.isfinite(loss) and np.isfinite(theta).all()):
        raise DivergenceError(
            f"training diverged in epoch {epoch}: the loss is {loss} "
            "and the parameters are no longer finite"
        )


def fit_lbfgs(net, theta, data, alpha, max_iter, max_fun, tol, record=None):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    ``theta`` is updated in place; returns SciPy's ``OptimizeResult``.
    ``record(loss)`` is called once per iteration with the objective.
    """
    if any(net.dropout):
        raise ValueError(
            "L-BFGS needs a deterministic objective and dropout makes it random: "
            "train with dropout by minibatches (fit_minibatch) or set dropout to 0."
        )
    ws = net.workspace(data.n)

    def objective(x):
        theta[...] = x
        with np.errstate(over="ignore", invalid="ignore"):
            loss = net.loss_grad(theta, data.X, data.Y, data.w, alpha, ws)
        return loss, ws.grad.astype(np.float64)

    def callback(intermediate_result):
        if record is not None:
            record(float(intermediate_result.fun))

    result = scipy.optimize.minimize(
        objective,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
        callback=callback,
    )
    theta[...] = result.x
    _check_finite(result.fun, theta, result.nit)
    return result
