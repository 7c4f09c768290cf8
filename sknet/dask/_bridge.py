"""The one door from ``sknet.dask`` into sknet's estimator glue and core.

Data-parallel training needs what a local ``fit`` does in between its public
steps: the target encoding, the network and its initial weights, the
optimizer, the stopping policy, and the fitted attributes at the end. Those
live in private parts of ``sknet._estimators`` and ``sknet.nn.training``,
which change with the glue. Every private name ``sknet.dask`` uses is used
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
from ..nn import schedules
from ..nn.training import (
    Data,
    DivergenceError,
    Settings,
    State,
    _check_finite,
    _end_epoch,
    fit_lbfgs,
    fit_minibatch,
)

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
    return template._batch_size(n_samples)


def _optimizer(template):
    """The estimator's optimizer object (``init`` / ``update``)."""
    return template._optimizer()


def _settings(template, batch, max_epochs, patience=True):
    """The core's run settings for ``template``'s parameters.

    ``patience=False`` never stops early (the local epochs of a round).
    """
    return Settings(
        batch_size=batch,
        max_epochs=max_epochs,
        lr0=template.learning_rate_init,
        alpha=template.alpha,
        shuffle=template.shuffle,
        tol=template.tol,
        n_iter_no_change=template.n_iter_no_change if patience else np.inf,
    )


class Training:
    """A local fit's optimizer, schedule, curves and stopping policy, driven from outside.

    The distributed loops compute gradients and losses on the cluster; this
    object does, on the client, everything a local minibatch fit does with
    them: the update, the epoch's bookkeeping, the plateau rule, early
    stopping's best weights, and the fitted attributes at the end.
    ``solver='lbfgs'`` (rounds of local L-BFGS) has no optimizer state.
    """

    def __init__(self, template, theta, n_samples):
        self.batch = batch_size(template, n_samples)
        self.settings = _settings(template, self.batch, template.max_iter)
        self.schedule = schedules.get(
            template.learning_rate, power_t=template.power_t, n_epochs=template.max_iter
        )
        lbfgs = template.solver == "lbfgs"
        self.optimizer = None if lbfgs else _optimizer(template)
        moments = {} if lbfgs else self.optimizer.init(theta)
        self.state = State(lr=template.learning_rate_init, optimizer=moments)

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

        Returns ``(stop, epoch, validation_score)``: whether the plateau rule
        stops training, the epoch's number, and its score (or None).
        """
        _check_finite(loss, theta, self.state.epochs + 1)
        state, run_settings = self.state, self.settings
        record = _end_epoch(theta, loss, n_samples, run_settings, self.schedule, state, validate)
        stop = False
        if state.no_improvement > run_settings.n_iter_no_change:
            state.lr, stop = self.schedule.plateau(state.lr)
            state.no_improvement = 0
        return stop, record.epoch, record.validation_score

    def finish(self, estimator, theta, rng, converged, name):
        """Best weights (early stopping) into ``theta``; the attributes a local fit sets.

        ``name`` starts the warning given when ``max_iter`` epochs or rounds
        ran without converging.
        """
        state = self.state
        if estimator.early_stopping and state.best_theta is not None:
            theta[...] = state.best_theta
        estimator._set_minibatch_attributes(state, state.epochs)
        if self.optimizer is not None:
            estimator._state, estimator._rng = state, rng
        else:  # rounds of local L-BFGS leave no optimizer state, as L-BFGS does
            for attribute in ("_state", "_rng"):
                estimator.__dict__.pop(attribute, None)
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
    opt = _optimizer(template)
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


def set_lbfgs_result(estimator, result, curve, n_samples):
    """The attributes a local L-BFGS fit sets from SciPy's result."""
    estimator.n_iter_, estimator.loss_ = int(result.nit), float(result.fun)
    estimator.t_ = n_samples
    estimator.loss_curve_ = list(curve) or [estimator.loss_]
    estimator.best_loss_ = min(estimator.loss_curve_)
    estimator.validation_scores_ = estimator.validation_loss_curve_ = None
    estimator.best_validation_score_ = None
    for name in ("_state", "_rng"):
        estimator.__dict__.pop(name, None)
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {result.nit} iterations "
            f"({result.message}). Increase max_iter or scale the data.",
            ConvergenceWarning,
        )


def check_finite(loss, theta, iteration):
    """Raise DivergenceError for a non-finite loss or parameters."""
    _check_finite(loss, theta, iteration)


def divergence_error(estimator, exc):
    """The glue's DivergenceError, with its remedy, for ``exc``."""
    return estimator._divergence_error(exc)
