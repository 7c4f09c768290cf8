"""Training loops: minibatch epochs with a stopping policy, and L-BFGS.

Nothing here prints or knows about estimators. The caller passes ``hooks``
(an object with ``epoch_begin(epoch)`` and ``epoch_end(record) -> stop``) to
report progress or stop early, and ``validate(theta) -> (score, loss)`` to
monitor a validation set. Both loops stop cleanly on Ctrl-C
(``KeyboardInterrupt``), keeping what was trained so far.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize


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
    """One epoch's figures, handed to ``hooks.epoch_end``."""

    epoch: int
    loss: float
    lr: float
    seconds: float
    validation_score: float = None
    validation_loss: float = None
    plateau: str = None  # None, "lower" (the rate) or "stop", see the schedule
    next_lr: float = None


class NoHooks:
    """Hooks that do nothing."""

    def epoch_begin(self, epoch):
        pass

    def epoch_end(self, record):
        return False


def run_epoch(net, theta, data, order, settings, optimizer, state, ws):
    """One pass over ``data`` in minibatches; returns the mean batch loss.

    ``order`` is a permutation of the rows, or None to take them in order.
    In order, batches are views; shuffled, each batch is gathered by fancy
    indexing (one batch-sized copy, never the whole dataset; NumPy runs it
    2-4x faster than ``np.take`` into a preallocated buffer, and SciPy sparse
    matrices support it too). A batch whose sample weights are all zero has
    no gradient: it takes no step and does not count in the mean. The
    weights of ``data`` must have a positive total.
    """
    n, size, total, counted = data.n, settings.batch_size, 0.0, 0
    for start in range(0, n, size):
        rows = slice(start, start + size) if order is None else order[start : start + size]
        w = None if data.w is None else data.w[rows]
        if w is not None and not w.sum() > 0:
            continue
        X, Y = data.X[rows], data.Y[rows]
        loss = net.loss_grad(theta, X, Y, w, settings.alpha, ws)
        optimizer.update(theta, ws.grad, state.optimizer, state.lr)
        total += loss * X.shape[0]
        counted += X.shape[0]
    return total / counted


def fit_minibatch(
    net, theta, data, settings, optimizer, schedule, state, rng, validate=None, hooks=None
):
    """Train ``theta`` in place for up to ``settings.max_epochs`` epochs.

    Returns why it stopped: ``"converged"`` (no improvement larger than
    ``tol`` for ``n_iter_no_change`` epochs and the schedule gives up),
    ``"max_epochs"``, ``"callback"``, ``"interrupted"`` (Ctrl-C: ``theta``
    and ``state`` hold the epochs completed) or ``"diverged"`` (non-finite
    values while early stopping has a best ``state.best_theta`` to fall back
    to; without one, :class:`DivergenceError` is raised). A diverged epoch is
    not recorded. With ``settings.shuffle`` each epoch permutes the previous
    epoch's order, as scikit-learn does, so the same seed visits the rows in
    the same order.
    """
    hooks = hooks or NoHooks()
    ws = net.workspace(min(settings.batch_size, data.n), rng=rng)  # rng draws dropout masks
    order = np.arange(data.n) if settings.shuffle else None
    try:
        for _ in range(settings.max_epochs):
            hooks.epoch_begin(state.epochs)
            started = time.perf_counter()
            if settings.shuffle:  # shuffles the last order, as scikit-learn does
                order = order[rng.permutation(data.n)]
            with np.errstate(over="ignore", invalid="ignore"):
                loss = run_epoch(net, theta, data, order, settings, optimizer, state, ws)
            validation = _validation(theta, loss, state, validate)
            if validation is None:
                return "diverged"
            record = _end_epoch(theta, loss, data.n, settings, schedule, state, validation)
            record.seconds = time.perf_counter() - started
            if hooks.epoch_end(record):
                return "callback"
            if record.plateau == "stop":
                return "converged"
    except KeyboardInterrupt:
        return "interrupted"
    return "max_epochs"


def _validation(theta, loss, state, validate):
    """``(score, loss)`` on the validation set after an epoch (``(None, None)``
    without one), or None when the epoch diverged and early stopping has a
    best ``theta`` to fall back to; otherwise a divergence raises."""
    problem = _non_finite(loss, theta)
    scores = (None, None)
    if problem is None and validate is not None:
        scores = validate(theta)
        if not np.isfinite(scores[1]):
            problem = f"the validation loss is {scores[1]}"
    if problem is None:
        return scores
    if validate is not None and state.best_theta is not None:
        return None
    raise DivergenceError(f"Training diverged in epoch {state.epochs + 1}: {problem}.")


def _end_epoch(theta, loss, n, settings, schedule, state, validation):
    """Bookkeeping after an epoch: curves, improvement count, next rate."""
    state.samples_seen += n
    state.epochs += 1
    state.loss_curve.append(loss)
    record = EpochRecord(state.epochs, loss, state.lr, 0.0, *validation)
    if record.validation_score is None:
        _track_loss(loss, settings.tol, state)
    else:
        _track_score(theta, record.validation_score, settings.tol, state)
        state.validation_losses.append(record.validation_loss)
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


def _non_finite(loss, theta):
    """What is no longer finite, in words, or None."""
    if not np.isfinite(loss):
        return f"the loss is {loss}"
    if not np.isfinite(theta).all():
        return "the parameters are no longer finite"
    return None


def fit_lbfgs(net, theta, data, alpha, max_iter, max_fun, tol, record=None):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    ``theta`` is updated in place; returns SciPy's ``OptimizeResult`` with
    ``interrupted`` added: on Ctrl-C (``KeyboardInterrupt``) it is True and
    ``theta`` holds the last accepted iterate. ``record(loss)`` is called once
    per iteration with the objective.
    """
    if any(net.dropout):
        raise ValueError(
            "L-BFGS needs a deterministic objective and dropout makes it random: "
            "train with dropout by minibatches (fit_minibatch) or set dropout to 0."
        )
    ws = net.workspace(data.n)
    accepted = {"x": theta.astype(np.float64), "fun": np.nan, "nit": 0}

    def objective(x):
        theta[...] = x
        with np.errstate(over="ignore", invalid="ignore"):
            loss = net.loss_grad(theta, data.X, data.Y, data.w, alpha, ws)
        return loss, ws.grad.astype(np.float64)

    def callback(intermediate_result):
        accepted.update(
            x=intermediate_result.x.copy(),
            fun=float(intermediate_result.fun),
            nit=accepted["nit"] + 1,
        )
        if record is not None:
            record(accepted["fun"])

    try:
        result = scipy.optimize.minimize(
            objective,
            accepted["x"],
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            callback=callback,
        )
        result.interrupted = False
    except KeyboardInterrupt:
        result = scipy.optimize.OptimizeResult(
            success=False, status=-1, message="interrupted", interrupted=True, **accepted
        )
    theta[...] = result.x
    _check_lbfgs(result, theta)
    return result


def _check_lbfgs(result, theta):
    problem = None if result.interrupted else _non_finite(result.fun, theta)
    if problem is not None:
        when = f"after {result.nit} iterations" if result.nit else "in its first iteration"
        raise DivergenceError(f"L-BFGS diverged {when}: {problem}.")
