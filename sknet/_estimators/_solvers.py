"""The solvers: how one fit call trains, for every value of ``solver``.

``SOLVERS`` is the registry the estimators read: the ``solver`` parameter's
options, ``partial_fit``'s availability (``stochastic``) and the training
itself. A solver's ``fit(estimator, net, theta, data, y, rng,
incremental, carried)`` trains ``theta`` in place, reports through one
:class:`~._progress.FitProgress` (the same hooks for every solver), hands
an :class:`Outcome` to the estimator, which sets its fitted attributes from
it, then ends the fit's callback task and warns as scikit-learn does. The
minibatch solvers take their optimizer from ``nn.optimizers.OPTIMIZERS``
and their schedule from ``nn.schedules.SCHEDULES``; early stopping is one
component,
:class:`~._early_stopping.EarlyStopping`.
"""

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..nn import optimizers, schedules
from ..nn.lbfgs import fit_lbfgs
from ..nn.training import DivergenceError, Settings, State, fit_minibatch
from ._checks import divergence_remedy
from ._early_stopping import early_stopping
from ._progress import FitProgress


@dataclass
class Outcome:
    """What a fit call leaves for the fitted attributes and the next call.

    ``carried`` is plain data (see ``_state.py``): the core's training
    ``State`` as a dict under ``"training"`` and the early-stopping record
    under ``"early_stopping"``.
    """

    n_iter: int
    t: int
    loss: float
    loss_curve: list
    best_loss: float = None
    validation: dict = None  # the early-stopping record, when early stopping ran
    carried: dict = None  # the state the next call continues; None: keep the old one


class Minibatch:
    """Epochs of shuffled minibatches with an optimizer and a schedule.

    Parameters
    ----------
    optimizer : str
        Name of the optimizer in ``nn.optimizers.OPTIMIZERS``.
    hyperparameters : callable
        ``hyperparameters(estimator, net) -> dict``: the optimizer's
        constructor arguments, from the estimator's parameters (and the
        network, e.g. its ``n_weights``).
    schedules : set of str or None
        The ``learning_rate`` values this solver follows; any other keeps
        the rate constant (as scikit-learn's adam ignores its schedules).
        None follows all of them.
    l2 : bool, default=True
        Whether ``alpha`` is the L2 penalty of the objective; False for an
        optimizer that uses it itself (AdamW's decoupled weight decay).
    """

    stochastic = True

    def __init__(self, optimizer, hyperparameters, schedules=None, l2=True):
        self.optimizer = optimizer
        self.hyperparameters = hyperparameters
        self.schedules = schedules
        self.l2 = l2

    def schedule_name(self, estimator):
        """The schedule this solver follows for the estimator's ``learning_rate``."""
        if self.schedules is None or estimator.learning_rate in self.schedules:
            return estimator.learning_rate
        return "constant"

    def make_optimizer(self, est, net):
        """The optimizer of ``OPTIMIZERS``, set from the estimator's parameters,
        its gradient norm clipped to ``max_grad_norm`` when that is set."""
        optimizer = optimizers.OPTIMIZERS[self.optimizer](**self.hyperparameters(est, net))
        return optimizers.clip_grad_norm(optimizer, est.max_grad_norm)

    def fit(self, est, net, theta, data, y, rng, incremental, carried, validation=None):
        stopping, train = early_stopping(est, net, data, y, rng, incremental, carried, validation)
        if incremental and stopping is not None and stopping.record.get("stopped"):
            est.n_iter_ = 0  # patience ran out in an earlier call: keep the best model
            return
        optimizer = self.make_optimizer(est, net)
        name = self.schedule_name(est)
        used = schedules.settings_of(name, power_t=est.power_t, n_epochs=est.max_iter)
        schedule = schedules.get(name, **used)
        rate = (name, est.learning_rate_init, used.get("power_t"), used.get("n_epochs"))
        state = self._state(est, carried.get("training"), optimizer, theta, incremental, rate)
        settings = _settings(est, train.n, incremental, self.l2)  # as scikit-learn: after the split
        progress = FitProgress(
            est, data, y, net, settings.max_epochs, lowers_rate=schedule.lowers_rate
        )
        epochs_before = state.epochs
        try:
            reason = fit_minibatch(
                net, theta, train, settings, optimizer, schedule, state, rng, stopping, progress
            )
        except DivergenceError:
            if stopping is None or not stopping.has_best:
                raise
            reason = "diverged"
        carried = dict(carried, training=vars(state))
        if stopping is not None:
            stopping.finish(theta, reason, incremental)
            carried["early_stopping"] = stopping.record
        est._set_outcome(_outcome(state, state.epochs - epochs_before, stopping, carried))
        progress.close(theta)
        _warn_minibatch_end(est, reason, incremental, data, state, stopping)

    def _state(self, est, carried, optimizer, theta, incremental, rate):
        """The carried-over training state, or a new one (also when the solver changed).

        Optimizer moments carry over; the rate restarts from
        ``learning_rate_init`` on every ``fit`` (as scikit-learn's new
        optimizer does) and on a ``partial_fit`` whose ``rate`` settings (the
        schedule, its initial rate and the settings it reads) changed, so
        every parameter the user set takes effect.
        """
        template = optimizer.init(theta)
        if carried is None:
            state = State(lr=est.learning_rate_init, optimizer=template)
        else:
            state = State(**carried)
            if state.optimizer.keys() != template.keys():
                state.optimizer = template
        if not incremental or state.schedule != rate:
            state.restart(est.learning_rate_init, rate)
        return state


class LBFGS:
    """Full-batch L-BFGS-B (SciPy); no minibatches, no learning rate."""

    stochastic = False

    def fit(self, est, net, theta, data, y, rng, incremental, carried, validation=None):
        if any(net.dropout):
            raise ValueError(
                f"dropout={est.dropout!r} needs a stochastic solver: L-BFGS's line search "
                "needs a deterministic objective. Use solver='adam', 'adamw' or 'sgd', "
                "or set dropout=0.0."
            )
        if validation is not None:
            raise ValueError(
                "X_val and y_val are scored by early stopping, which runs with the "
                "stochastic solvers ('sgd', 'adam', 'adamw'), not with 'lbfgs'."
            )
        progress = FitProgress(est, data, y, net, est.max_iter, task_name="iteration")
        curve = []
        hooks = _Recording(progress, curve)
        result = fit_lbfgs(net, theta, data, est.alpha, est.max_iter, est.max_fun, est.tol, hooks)
        loss = float(result.fun)
        curve = curve or [loss]
        # t_ stays 0, as scikit-learn leaves it for lbfgs (no samples drawn in steps).
        est._set_outcome(Outcome(int(result.nit), 0, loss, curve, best_loss=min(curve)))
        progress.close(theta)
        if result.reason == "interrupted":
            warnings.warn("Training interrupted by user.")
        elif result.reason == "not_converged":
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter or scale the data.",
                ConvergenceWarning,
            )


class _Recording:
    """Hooks that append each iteration's loss to ``curve``, then report it."""

    def __init__(self, hooks, curve):
        self.hooks, self.curve = hooks, curve
        self.epoch_begin = hooks.epoch_begin

    def epoch_end(self, record, theta):
        self.curve.append(record.loss)
        return self.hooks.epoch_end(record, theta)


SOLVERS = {
    "lbfgs": LBFGS(),
    "sgd": Minibatch(
        "sgd", lambda est, net: dict(momentum=est.momentum, nesterov=est.nesterovs_momentum)
    ),
    "adam": Minibatch(
        "adam",
        lambda est, net: dict(beta_1=est.beta_1, beta_2=est.beta_2, epsilon=est.epsilon),
        schedules={"constant", "cosine"},
    ),
    "adamw": Minibatch(
        "adamw",
        lambda est, net: dict(
            weight_decay=est.alpha,
            n_weights=net.n_weights,
            lr_init=est.learning_rate_init,
            beta_1=est.beta_1,
            beta_2=est.beta_2,
            epsilon=est.epsilon,
        ),
        schedules={"constant", "cosine"},
        l2=False,
    ),
}
"""The estimators' solvers by name: what ``solver`` accepts."""


def _outcome(state, n_iter, stopping, carried):
    return Outcome(
        n_iter=n_iter,
        t=state.samples_seen,
        loss=state.loss_curve[-1] if state.loss_curve else np.nan,
        loss_curve=state.loss_curve,
        best_loss=state.best_loss,
        validation=None if stopping is None else stopping.record,
        carried=carried,
    )


def _settings(est, n_samples, incremental, l2=True):
    return Settings(
        batch_size=_batch_size(est.batch_size, n_samples),
        max_epochs=1 if incremental else est.max_iter,
        lr0=est.learning_rate_init,
        alpha=est.alpha if l2 else 0.0,
        shuffle=est.shuffle,
        tol=est.tol,
        n_iter_no_change=est.n_iter_no_change,
    )


def _batch_size(batch_size, n_samples):
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def _warn_minibatch_end(est, reason, incremental, data, state, stopping):
    if reason == "interrupted":
        warnings.warn("Training interrupted by user.")
    elif reason == "diverged":
        warnings.warn(
            f"Training diverged in epoch {state.epochs + 1} (non-finite loss "
            "or predictions); early stopping kept the best weights, with validation "
            f"score {stopping.record['best_score']:.6g}. {divergence_remedy(est, data)}",
            ConvergenceWarning,
        )
    elif reason == "max_epochs" and not incremental:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and "
            "the optimization hasn't converged yet.",
            ConvergenceWarning,
        )
