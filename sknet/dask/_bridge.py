"""The one door from ``sknet.dask`` into sknet's estimator glue and core.

Data-parallel training needs what a local ``fit`` does in between its public
steps: the target encoding, the network and its initial weights, the
optimizer, the stopping policy, and the fitted attributes at the end. Those
live in private parts of ``sknet._estimators`` (the solver registry
``_solvers.SOLVERS``, the early-stopping record, ``_set_outcome``) and of
the core's loops, which change with the glue. Every private name ``sknet.dask`` uses is used
here and only here, so a refactor of the glue updates this file and nothing
else; ``tests/dask/test_dask_cluster.py`` checks that a distributed fit
still leaves every attribute a local fit leaves, and
``tests/dask/test_dask_layering.py`` that no other module of sknet.dask
imports the glue or the core.

Other modules of ``sknet.dask`` only hold what these functions return: the
core's network (``sknet.nn.MLP``, whose public methods compute losses,
gradients and predictions on the workers) and :class:`Training`, which
keeps the local fit's optimizer state, curves and stopping policy.

What can be had through public behaviour is: :func:`template` fits a clone
of the estimator on a few rows that show every label (one row per class), so
the glue itself decides ``classes_``, the label encoding, the output
activation, the compute dtype and the feature names, and validates the
parameters. The distributed fit then replaces the weights and the
solver's attributes.
"""

import copy
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import _check_sample_weight

from .._estimators._base import BaseMLP
from .._estimators._early_stopping import EarlyStopping, new_record
from .._estimators._solvers import SOLVERS, Outcome, _batch_size, _outcome
from ..nn import schedules, training
from ..nn.lbfgs import fit_lbfgs
from ..nn.training import Data, DivergenceError, Settings, State, _end_epoch, fit_minibatch

__all__ = ["DivergenceError"]

# Parameters of the tiny fit that make it one quick, quiet, deterministic step.
_TINY_FIT = dict(max_iter=1, early_stopping=False, verbose=False, warm_start=False, random_state=0)


def check_estimator(estimator):
    """Refuse anything but sknet's MLPClassifier / MLPRegressor."""
    if not isinstance(estimator, BaseMLP):
        raise TypeError(
            "DataParallel trains sknet's MLPClassifier or MLPRegressor; got "
            f"{type(estimator).__name__}. Wrap an sknet estimator."
        )


def template(estimator, X, y):
    """A clone of ``estimator`` fitted on the few rows ``X, y``.

    The rows must show every class; the glue then sets ``classes_``, the
    encoding, ``out_activation_``, ``n_outputs_``, ``n_features_in_`` and
    ``feature_names_in_`` exactly as a fit on all the data would. The
    weights of this fit are thrown away. The clone keeps the user's
    parameters (a RandomState instance is not consumed).
    """
    est = clone(estimator)
    params = est.get_params(deep=False)
    tiny = dict(_TINY_FIT)
    if isinstance(params["batch_size"], int):
        tiny["batch_size"] = "auto"
    est.set_params(**tiny)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    return est.set_params(**params)


def for_workers(template, class_weight):
    """A copy of ``template`` that encodes partitions with global class weights.

    ``class_weight='balanced'`` counts classes, which a partition cannot do
    alone: the caller passes the weight of every class, counted over all
    the data (a complete dict, so no partition lacks a key).
    """
    worker = copy.deepcopy(template)
    if getattr(worker, "class_weight", None) is not None:
        worker.class_weight = class_weight
    return worker


def encode(template, X, y, sample_weight):
    """One partition as the glue prepares it: ``(X, Y, w)`` in the compute dtype.

    ``w`` is the product of the sample and class weights, or None. Runs on a
    worker; validates the partition like a local fit validates its input.
    """
    est = copy.copy(template)
    data, _ = est._training_data(X, y, None, fresh=False, classes=None)
    w = data.w
    if sample_weight is not None:
        sw = _check_sample_weight(
            sample_weight, data.X, dtype=data.Y.dtype, ensure_non_negative=True
        )
        w = sw if w is None else w * sw
    return data.X, data.Y, w


def network(template):
    """The core network (``sknet.nn.MLP``) the template's weights belong to."""
    coefs = template.coefs_
    return template._network(coefs[0].shape[0], coefs[-1].shape[1], coefs[0].dtype)


def initial_point(template, net):
    """The initial parameters of a fresh local fit, and its random generator."""
    theta, _, rng = template._starting_point(net, True)
    return theta, rng


def batch_size(template, n_samples):
    """The minibatch size a local fit on ``n_samples`` rows would use."""
    return _batch_size(template.batch_size, n_samples)


def _optimizer(template, net):
    """The estimator's optimizer object (``init`` / ``update``), as its solver makes it."""
    return SOLVERS[template.solver].make_optimizer(template, net)


def l2_alpha(template):
    """The L2 penalty of the objective: ``alpha``, or 0 for a solver that decays
    the weights itself (AdamW)."""
    return template.alpha if getattr(SOLVERS[template.solver], "l2", True) else 0.0


def _schedule(template):
    """The schedule a local fit follows (adam, as scikit-learn's, only 'cosine')."""
    solver = SOLVERS[template.solver]
    name = solver.schedule_name(template) if solver.stochastic else template.learning_rate
    return schedules.get(name, power_t=template.power_t, n_epochs=template.max_iter)


def _settings(template, batch, max_epochs, patience=True):
    """The core's run settings for ``template``'s parameters.

    ``patience=False`` never stops early (the local epochs of a round).
    """
    return Settings(
        batch_size=batch,
        max_epochs=max_epochs,
        lr0=template.learning_rate_init,
        alpha=l2_alpha(template),
        shuffle=template.shuffle,
        tol=template.tol,
        n_iter_no_change=template.n_iter_no_change if patience else np.inf,
    )


class Training:
    """A local fit's optimizer, schedule, curves and stopping policy, driven from outside.

    The distributed loops compute gradients and losses on the cluster; this
    object does, on the client, everything a local minibatch fit does with
    them: the update, the epoch's bookkeeping, the plateau rule, early
    stopping's record and best weights (the glue's ``EarlyStopping``, fed
    the scores computed on the cluster), and the fitted attributes at the
    end. ``solver='lbfgs'`` (rounds of local L-BFGS) has no optimizer state.
    """

    def __init__(self, template, theta, n_samples):
        self.batch = batch_size(template, n_samples)
        self.settings = _settings(template, self.batch, template.max_iter)
        self.schedule = _schedule(template)
        net = network(template)
        stochastic = SOLVERS[template.solver].stochastic
        self.optimizer = _optimizer(template, net) if stochastic else None
        moments = self.optimizer.init(theta) if stochastic else {}
        self.state = State(lr=template.learning_rate_init, optimizer=moments)
        self.stopping = EarlyStopping(template, net, new_record())

    @property
    def lr(self):
        """The learning rate of the current epoch (round)."""
        return self.state.lr

    @property
    def moments(self):
        """The optimizer's state: a dict of arrays and step counts."""
        return self.state.optimizer

    @moments.setter
    def moments(self, value):
        self.state.optimizer = value

    def step(self, theta, grad):
        """One optimizer update of ``theta`` in place, at the current rate."""
        self.optimizer.update(theta, grad, self.state.optimizer, self.state.lr)

    def end_epoch(self, theta, loss, n_samples, validate):
        """Divergence check and the local fit's bookkeeping after an epoch (round).

        ``validate(theta) -> (score, loss)`` scores on the cluster, or is
        None. Returns ``(stop, epoch, validation_score)``: whether the
        plateau rule stops training, the epoch's number, and its score (or
        None).
        """
        kept = None if validate is None else self._kept(validate)
        record = _end_epoch(theta, loss, n_samples, self.settings, self.schedule, self.state, kept)
        return record.plateau == "stop", record.epoch, record.validation_score

    def _kept(self, validate):
        """``validate`` as the core calls it, ``(score, loss, improved)``, recorded."""

        def kept(theta):
            score, loss = validate(theta)
            if not np.isfinite(loss):
                return np.nan, loss, False  # the core raises DivergenceError
            return score, loss, self.stopping.keep(theta, score, loss)

        return kept

    def finish(self, estimator, theta, converged, name):
        """Best weights (early stopping) into ``theta``; the attributes a local fit sets.

        ``name`` starts the warning given when ``max_iter`` epochs or rounds
        ran without converging.
        """
        state = self.state
        stopping = self.stopping if estimator.early_stopping else None
        carried = None if self.optimizer is None else {"training": vars(state)}
        if stopping is not None:
            stopping.restore(theta)
            if carried is not None:
                carried["early_stopping"] = stopping.record
        estimator._set_outcome(_outcome(state, state.epochs, stopping, carried))
        if carried is None:  # rounds of local L-BFGS leave no optimizer state, as L-BFGS does
            estimator.__dict__.pop("_state", None)
        if not converged:
            warnings.warn(
                f"{name}: Maximum iterations ({estimator.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )


def train_locally(net, theta, rows, template, batch, epochs, lr, moments, rng):
    """``epochs`` local minibatch epochs of ``batch`` rows at the fixed rate ``lr``.

    Starts from the optimizer state ``moments`` (a copy is trained); returns
    the new state and the mean loss of the last epoch. ``theta`` is updated
    in place. Runs on a worker (federated averaging).
    """
    state = State(lr=lr, optimizer=copy.deepcopy(moments))
    run_settings = _settings(template, batch, epochs, patience=False)
    opt = _optimizer(template, net)
    fit_minibatch(net, theta, Data(*rows), run_settings, opt, schedules.Constant(), state, rng)
    return state.optimizer, state.loss_curve[-1]


def lbfgs_locally(net, theta, rows, alpha, template, max_iter):
    """``max_iter`` local L-BFGS iterations on ``rows``; returns the objective.

    ``theta`` is updated in place. Runs on a worker (federated averaging).
    """
    result = fit_lbfgs(net, theta, Data(*rows), alpha, max_iter, template.max_fun, template.tol)
    return float(result.fun)


def set_weights(estimator, net, theta):
    """Fitted weights as views of ``theta``, as the glue leaves them."""
    estimator.coefs_, estimator.intercepts_ = net.unpack(theta)
    estimator.n_layers_ = net.n_layers + 1


def set_lbfgs_result(estimator, result, curve):
    """The attributes a local L-BFGS fit sets from SciPy's result."""
    loss = float(result.fun)
    curve = list(curve) or [loss]
    estimator._set_outcome(Outcome(int(result.nit), 0, loss, curve, best_loss=min(curve)))
    estimator.__dict__.pop("_state", None)
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}). Increase max_iter or scale the data.",
            ConvergenceWarning,
        )


def check_finite(loss, theta, iteration):
    """Raise DivergenceError for a non-finite L-BFGS loss or parameters."""
    when = f"after {iteration} iterations" if iteration else "in its first iteration"
    training.check_finite(loss, theta, f"L-BFGS diverged {when}")


def divergence_error(estimator, exc):
    """The glue's DivergenceError, with the remedy for the solver (the rows, on the
    cluster, are not weighed)."""
    nothing = Data(np.zeros((0, 1)), np.zeros((0, 1)))
    return estimator._divergence_error(exc, nothing)
