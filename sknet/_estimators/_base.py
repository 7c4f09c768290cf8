"""What MLPClassifier and MLPRegressor share: parameters, fit, predict.

This is glue: it validates input the scikit-learn way, turns parameters into
the core's objects (``sknet.nn``), and turns the core's results into fitted
attributes. The math lives in ``sknet.nn``.
"""

import copy
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..nn import MLP, activations, optimizers, schedules
from ..nn.training import Data, DivergenceError, Settings, State, fit_lbfgs, fit_minibatch
from ._checks import cast, divergence_remedy, hidden_sizes, split_weights
from ._progress import CallbackSupportMixin, FitProgress

_LOSS_OF_OUTPUT = {
    "identity": "squared_error",
    "exp": "poisson",
    "softmax": "log_loss",
    "logistic": "binary_log_loss",
}


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the multilayer perceptrons; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(activations.ACTIVATIONS))],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "scoring": [str, callable, None],
        "dtype": [StrOptions({"float32", "float64"}), type, None],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        scoring,
        dtype,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.scoring = scoring
        self.dtype = dtype

    # ----------------------------------------------------------------- fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers
            in regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; None gives every sample weight one.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        with _restore_on_failure(self):
            fresh = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
            data, y = self._training_data(X, y, sample_weight, fresh, classes)
            net = self._network(data.X.shape[1], data.Y.shape[1], data.Y.dtype)
            theta, state, rng = self._starting_point(net, fresh)
            self.coefs_, self.intercepts_ = net.unpack(theta)
            self.n_layers_ = net.n_layers + 1
            try:
                if self.solver == "lbfgs":
                    self._fit_lbfgs(net, theta, data, y)
                else:
                    self._fit_minibatch(net, theta, data, y, state, rng, incremental)
            except DivergenceError as exc:
                raise self._divergence_error(exc, data) from None
        return self

    def _training_data(self, X, y, sample_weight, fresh, classes):
        """Validated ``Data`` in the compute dtype, and ``y`` as validated."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=fresh,
            y_numeric=self._y_numeric,
        )
        dtype = self._compute_dtype(X, fresh)
        X = cast(X, dtype)
        if sp.issparse(X):
            X = X.tocsr()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = self._encode_targets(y, fresh, classes, dtype)
        w = self._sample_weight(y, sample_weight, X, dtype)
        return Data(X, Y, w), y

    def _compute_dtype(self, X, fresh):
        """The ``dtype`` parameter's precision; if None, the fitted one or the input's."""
        if self.dtype is None and not fresh:
            return self.coefs_[0].dtype
        if self.dtype is None:
            return np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32', 'float64' or None; got {self.dtype!r}.")
        return dtype

    def _sample_weight(self, y, sample_weight, X, dtype):
        w = None
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=dtype, ensure_non_negative=True)
        w = self._weigh_classes(y, w, dtype)
        if w is not None and not w.sum() > 0:
            raise ValueError(
                "The sample weights (sample_weight, times class_weight if set) sum "
                "to zero; give some samples a positive weight."
            )
        return w

    def _weigh_classes(self, y, w, dtype):
        """``w`` with the class weights multiplied in (classifiers)."""
        return w

    def _network(self, n_features, n_outputs, dtype):
        """The network the parameters describe, to be trained."""
        hidden = hidden_sizes(self.hidden_layer_sizes, type(self).__name__)
        sizes = (n_features, *hidden, n_outputs)
        return MLP(sizes, self.activation, _LOSS_OF_OUTPUT[self.out_activation_], dtype)

    def _fitted_network(self):
        """The network the fitted attributes describe, for prediction and export.

        As in scikit-learn, the layer sizes come from ``coefs_``, the output
        from ``out_activation_`` and the hidden activation from
        ``self.activation``, so changing ``hidden_layer_sizes`` after fit does
        not change predictions, and ``predict`` and the ONNX export apply the
        same activation.
        """
        sizes = (self.coefs_[0].shape[0], *(W.shape[1] for W in self.coefs_))
        loss = _LOSS_OF_OUTPUT[self.out_activation_]
        return MLP(sizes, self.activation, loss, self.coefs_[0].dtype)

    def _starting_point(self, net, fresh):
        """Parameters to start from, the optimizer state to continue, and the RNG.

        As in scikit-learn, every call draws from ``check_random_state(
        random_state)`` anew: an int seed gives each warm-started fit and each
        partial_fit the same shuffles and splits scikit-learn's would make.
        """
        rng = check_random_state(self.random_state)
        if fresh:
            factor = 2.0 if self.activation == "logistic" else 6.0
            return net.init(rng, factor), None, rng
        shapes = [W.shape for W in self.coefs_]
        expected = net.weight_shapes
        if shapes != expected:
            raise ValueError(
                f"warm_start/partial_fit needs the fitted architecture {shapes}, but "
                f"the parameters now give {expected}. Set warm_start=False to refit."
            )
        theta = net.pack(self.coefs_, self.intercepts_)
        state = _state_in(copy.deepcopy(getattr(self, "_state", None)), net.dtype)
        return theta, state, rng

    # ----------------------------------------------------------- solvers

    def _fit_minibatch(self, net, theta, data, y, state, rng, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True.")
        optimizer = self._optimizer()
        state = self._fresh_state(state, optimizer, theta, incremental)
        settings = self._settings(data.n, incremental)
        schedule = self._schedule()
        train, validate = data, None
        if self.early_stopping:
            train, validate = self._validation_split(net, data, y, rng)
        progress = FitProgress(
            self, data.X, y, _metadata(data.w), settings.max_epochs, schedule.lowers_rate
        )
        epochs_before = state.epochs
        reason = fit_minibatch(
            net, theta, train, settings, optimizer, schedule, state, rng, validate, progress
        )
        if self.early_stopping and state.best_theta is not None:
            theta[...] = state.best_theta
        self._state = state
        self._set_minibatch_attributes(state, state.epochs - epochs_before)
        progress.close()
        self._warn_minibatch_end(reason, incremental, data)

    def _warn_minibatch_end(self, reason, incremental, data):
        if reason == "interrupted":
            warnings.warn("Training interrupted by user.")
        elif reason == "diverged":
            warnings.warn(
                f"Training diverged in epoch {self._state.epochs + 1} (non-finite loss "
                "or predictions); early stopping kept the best weights, with validation "
                f"score {self.best_validation_score_:.6g}. {divergence_remedy(self, data)}",
                ConvergenceWarning,
            )
        elif reason == "max_epochs" and not incremental:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _optimizer(self):
        if self.solver == "sgd":
            return optimizers.SGD(self.momentum, self.nesterovs_momentum)
        return optimizers.Adam(self.beta_1, self.beta_2, self.epsilon)

    def _schedule(self):
        return schedules.get(self._schedule_name(), power_t=self.power_t, n_epochs=self.max_iter)

    def _schedule_name(self):
        """``learning_rate``, except that adam, as in scikit-learn, ignores all
        but sknet's 'cosine' and keeps its rate constant."""
        if self.solver == "adam" and self.learning_rate != "cosine":
            return "constant"
        return self.learning_rate

    def _fresh_state(self, state, optimizer, theta, incremental):
        """The carried-over state, or a new one (also when the solver changed).

        Optimizer moments carry over; the rate restarts from
        ``learning_rate_init`` on every ``fit`` (as scikit-learn's new
        optimizer does) and on a ``partial_fit`` whose rate settings changed,
        so every parameter the user set takes effect.
        """
        template = optimizer.init(theta)
        if state is None:
            state = State(lr=self.learning_rate_init, optimizer=template)
        elif state.optimizer.keys() != template.keys():
            state.optimizer = template
        rate = (self._schedule_name(), self.learning_rate_init, self.power_t, self.max_iter)
        if not incremental or state.schedule != rate:
            state.restart(self.learning_rate_init, rate)
        return state

    def _settings(self, n_samples, incremental):
        return Settings(
            batch_size=self._batch_size(n_samples),
            max_epochs=1 if incremental else self.max_iter,
            lr0=self.learning_rate_init,
            alpha=self.alpha,
            shuffle=self.shuffle,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validation_split(self, net, data, y, rng):
        """Training ``Data`` and a ``validate(theta) -> (score, loss)`` closure."""
        stratify = y if self._stratify_validation(y) else None
        train_idx, val_idx = train_test_split(
            np.arange(data.n),
            test_size=self.validation_fraction,
            random_state=rng,
            stratify=stratify,
        )
        if len(val_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        X_val, Y_val, y_val = data.X[val_idx], data.Y[val_idx], y[val_idx]
        w_train, w_val = split_weights(data.w, train_idx, val_idx, self.validation_fraction)
        scorer = check_scoring(self, scoring=self.scoring)
        score_kwargs = {} if w_val is None else {"sample_weight": w_val}

        def validate(theta):
            Ws, bs = net.unpack(theta)
            with np.errstate(over="ignore", invalid="ignore"):
                loss = net.mean_loss(Ws, bs, X_val, Y_val, w_val)
            if not np.isfinite(loss):
                return np.nan, loss
            with _validated_input(self):
                return float(scorer(self, X_val, y_val, **score_kwargs)), loss

        return Data(data.X[train_idx], data.Y[train_idx], w_train), validate

    def _stratify_validation(self, y):
        return False

    def _set_minibatch_attributes(self, state, epochs):
        self.n_iter_ = epochs
        self.t_ = state.samples_seen
        self.loss_curve_ = state.loss_curve
        self.loss_ = state.loss_curve[-1] if state.loss_curve else np.nan
        es = self.early_stopping
        self.best_loss_ = None if es else state.best_loss
        self.validation_scores_ = state.validation_scores if es else None
        self.validation_loss_curve_ = state.validation_losses if es else None
        self.best_validation_score_ = state.best_validation_score if es else None

    def _fit_lbfgs(self, net, theta, data, y):
        progress = FitProgress(self, data.X, y, _metadata(data.w), 0)
        curve = []

        def record(loss):
            curve.append(loss)
            progress.iteration(len(curve), loss)

        result = fit_lbfgs(
            net, theta, data, self.alpha, self.max_iter, self.max_fun, self.tol, record
        )
        self.n_iter_, self.loss_, self.t_ = int(result.nit), float(result.fun), data.n
        self.loss_curve_ = curve or [self.loss_]
        self.best_loss_ = min(self.loss_curve_)
        self.validation_scores_ = self.validation_loss_curve_ = None
        self.best_validation_score_ = None
        progress.close()
        if result.interrupted:
            warnings.warn("Training interrupted by user.")
        elif result.status != 0:
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iterations "
                f"({result.message}). Increase max_iter or scale the data.",
                ConvergenceWarning,
            )

    def _check_solver(self):
        """partial_fit exists for the stochastic solvers only (as in scikit-learn)."""
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def _divergence_error(self, exc, data):
        return DivergenceError(
            "Solver produced non-finite parameter weights. The input data may contain "
            f"large values and need to be preprocessed. {exc} {divergence_remedy(self, data)} "
            "The estimator keeps its previous state."
        )

    def _snapshot_attributes(self):
        """Fitted attributes of the current weights, for callbacks."""
        return {
            "coefs_": [W.copy() for W in self.coefs_],
            "intercepts_": [b.copy() for b in self.intercepts_],
        }

    # ------------------------------------------------------------- predict

    def _predict_outputs(self, X, logits=False):
        """Network outputs (or logits) for X, validated like at fit time."""
        check_is_fitted(self)
        if not getattr(self, "_input_validated", False):
            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                reset=False,
                dtype=(np.float64, np.float32),
            )
        net = self._fitted_network()
        X = cast(X, net.dtype)
        if logits:
            return net.predict_logits(self.coefs_, self.intercepts_, X)
        return net.predict(self.coefs_, self.intercepts_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # Set by the subclasses.
    _y_numeric = False

    @abstractmethod
    def _encode_targets(self, y, fresh, classes, dtype):
        """Targets as a 2-D ``dtype`` array; sets out_activation_ and n_outputs_."""


def _state_in(state, dtype):
    """The carried-over optimizer state with its arrays in ``dtype``."""
    if state is None:
        return None
    for key, value in state.optimizer.items():
        if isinstance(value, np.ndarray):
            state.optimizer[key] = value.astype(dtype, copy=False)
    if state.best_theta is not None:
        state.best_theta = state.best_theta.astype(dtype, copy=False)
    return state


def _metadata(w):
    return {} if w is None else {"sample_weight": w}


@contextmanager
def _validated_input(estimator):
    """Predict without validate_data: for the fit's own early-stopping split,
    already validated (and which, as a NumPy array, would otherwise warn
    about feature names once per epoch)."""
    estimator._input_validated = True
    try:
        yield
    finally:
        del estimator._input_validated


@contextmanager
def _restore_on_failure(estimator):
    """On an exception, put back every attribute the estimator had before.

    The fit code never mutates an existing attribute's object in place (it
    packs copies of the weights and deep-copies the optimizer state), so a
    shallow copy of ``__dict__`` is a full snapshot. The callback machinery's
    own attributes are left as they are so its teardown still runs.
    """
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        live = {
            k: v
            for k, v in estimator.__dict__.items()
            if k.startswith(("_callback", "_skl_callbacks"))
        }
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        estimator.__dict__.update(live)
        raise
