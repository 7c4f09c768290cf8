"""What MLPClassifier and MLPRegressor share: parameters, fit, predict.

This is glue: it validates input the scikit-learn way, turns parameters into
the core's objects (``sknet.nn``), hands the training to the solver the
``solver`` parameter names (``_solvers.SOLVERS``), and turns the outcome
into fitted attributes. The math lives in ``sknet.nn``.
"""

from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..nn import MLP, activations, schedules
from ..nn.training import Data, DivergenceError
from ._checks import cast, divergence_remedy, hidden_activations, hidden_sizes, prediction_input
from ._early_stopping import validation_data
from ._progress import CallbackSupportMixin
from ._solvers import SOLVERS
from ._state import carried_state, restore_on_failure
from ._utils import fitted_network


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the multilayer perceptrons; not for direct use.

    The subclasses' ``__init__`` store the parameters (``store_parameters``); the options of
    ``activation``, ``solver`` and ``learning_rate`` are the keys of the
    registries (``nn.activations.ACTIVATIONS``, ``SOLVERS``,
    ``nn.schedules.SCHEDULES``).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(activations.ACTIVATIONS)), tuple, list],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(schedules.SCHEDULES))],
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
        "dropout": [Interval(Real, 0, 1, closed="left"), tuple, list],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    }

    # Set by the subclasses.
    _y_numeric = False

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
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
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Validation rows for early stopping, scored instead of a random
            ``validation_fraction`` of X (needs ``early_stopping=True``, as in
            scikit-learn's ``HistGradientBoosting*``). In a Pipeline, pass
            ``transform_input=["X_val"]`` to transform them as X.
        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``; given together with it.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows (times ``class_weight``, if set).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _fit(self, X, y, sample_weight, incremental, classes=None, validation=(None,) * 3):
        """One fit or partial_fit call: data, network, starting point, solver."""
        with restore_on_failure(self):
            self._layout()
            fresh = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
            data, y = self._training_data(X, y, sample_weight, fresh, classes)
            validation = validation_data(self, *validation, data.Y.dtype)
            net = self._network(data.X.shape[1], data.Y.shape[1], data.Y.dtype)
            theta, carried, rng = self._starting_point(net, fresh)
            self.coefs_, self.intercepts_ = net.unpack(theta)
            self.n_layers_ = net.n_layers + 1
            solver = SOLVERS[self.solver]
            try:
                solver.fit(self, net, theta, data, y, rng, incremental, carried, validation)
            except DivergenceError as exc:
                raise self._divergence_error(exc, data) from None
        return self

    # ---------------------------------------------------------------- data

    def _training_data(self, X, y, sample_weight, fresh, classes):
        """Validated ``Data`` in the compute dtype, and ``y`` as validated."""
        X, y = self._validated(X, y, reset=fresh)
        dtype = self._compute_dtype(X, fresh)
        return self._data(X, y, sample_weight, dtype, fresh, classes), y

    def _validated(self, X, y, reset):
        """``X`` and ``y`` through ``validate_data`` (a column y becomes 1-D)."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
            y_numeric=self._y_numeric,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _data(self, X, y, sample_weight, dtype, fresh, classes=None):
        """Validated rows as the core's ``Data`` in ``dtype``: encoded targets, weights."""
        X = cast(X, dtype)
        if sp.issparse(X):
            X = X.tocsr()
        Y = self._encode_targets(y, fresh, classes, dtype)
        return Data(X, Y, self._sample_weight(y, sample_weight, X, dtype))

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

    @abstractmethod
    def _encode_targets(self, y, fresh, classes, dtype):
        """Targets as a 2-D ``dtype`` array; sets out_activation_ and n_outputs_."""

    def _stratify_validation(self, y):
        """Whether the early-stopping split is stratified on ``y``."""
        return False

    # ------------------------------------------------------------- network

    @abstractmethod
    def _loss(self):
        """The loss to train with: a name or ``nn.losses.Loss``."""

    def _network(self, n_features, n_outputs, dtype):
        """The network the parameters describe, to be trained."""
        hidden, activation = self._layout()
        sizes = (n_features, *hidden, n_outputs)
        return MLP(sizes, activation, self._loss(), dtype, dropout=self.dropout)

    def _layout(self):
        """The hidden sizes and activations, checked: before the data, as in scikit-learn."""
        owner = type(self).__name__
        hidden = hidden_sizes(self.hidden_layer_sizes, owner)
        return hidden, hidden_activations(self.activation, owner)

    def _fitted_network(self):
        """The network the fitted attributes describe, for prediction and export.

        As in scikit-learn, the layer sizes come from ``coefs_``, the output
        from ``out_activation_`` and the hidden activations from
        ``self.activation`` (one name, or one per hidden layer), so changing
        ``hidden_layer_sizes`` after fit does not change predictions, and
        ``predict`` and the ONNX export apply the same activations. The loss
        is the one whose inverse link ``out_activation_`` is: prediction
        reads only that link.
        """
        sizes = (self.coefs_[0].shape[0], *(W.shape[1] for W in self.coefs_))
        activation = self.activation
        if not isinstance(activation, str):  # one per hidden layer: a hashable key
            activation = tuple(activation)
        return fitted_network(sizes, activation, self.out_activation_, self.coefs_[0].dtype.str)

    def _starting_point(self, net, fresh):
        """Parameters to start from, the carried state to continue, and the RNG.

        As in scikit-learn, every call draws from ``check_random_state(
        random_state)`` anew: an int seed gives each warm-started fit and each
        partial_fit the same shuffles and splits scikit-learn's would make.
        Initial weights follow each activation's ``init_factor``.
        """
        rng = check_random_state(self.random_state)
        if fresh:
            return net.init(rng), {}, rng
        shapes = [W.shape for W in self.coefs_]
        if shapes != net.weight_shapes:
            raise ValueError(
                f"warm_start/partial_fit needs the fitted architecture {shapes}, but "
                f"the parameters now give {net.weight_shapes}. Set warm_start=False to refit."
            )
        theta = net.pack(self.coefs_, self.intercepts_)
        return theta, carried_state(self, net.dtype), rng

    # ----------------------------------------------------------- outcome

    def _set_outcome(self, outcome):
        """The fitted attributes of a solver's run (``_solvers.Outcome``)."""
        self.n_iter_, self.t_ = outcome.n_iter, outcome.t
        self.loss_, self.loss_curve_ = outcome.loss, outcome.loss_curve
        validation = outcome.validation
        self.best_loss_ = outcome.best_loss if validation is None else None
        self.validation_scores_ = None if validation is None else validation["scores"]
        self.validation_loss_curve_ = None if validation is None else validation["losses"]
        self.best_validation_score_ = None if validation is None else validation["best_score"]
        if outcome.carried is not None:
            self._state = outcome.carried

    def _divergence_error(self, exc, data):
        return DivergenceError(
            "Solver produced non-finite parameter weights. The input data may contain "
            f"large values and need to be preprocessed. {exc} {divergence_remedy(self, data)} "
            "The estimator keeps its previous state."
        )

    def _check_solver(self):
        """partial_fit exists for the stochastic solvers only (as in scikit-learn)."""
        if not SOLVERS[self.solver].stochastic:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    # ------------------------------------------------------------- predict

    def _predict_outputs(self, X, logits=False):
        """Network outputs (or logits) for X, validated like at fit time."""
        check_is_fitted(self, "coefs_")  # naming it skips a scan of every attribute
        if not getattr(self, "_input_validated", False):
            X = prediction_input(self, X)
        net = self._fitted_network()
        X = cast(X, net.dtype)
        if logits:
            return net.predict_logits(self.coefs_, self.intercepts_, X)
        return net.predict(self.coefs_, self.intercepts_, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
