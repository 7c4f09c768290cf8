"""MLPRegressor: real-valued targets, any regression loss of the core."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if

from ..nn import losses
from ._base import BaseMLP
from ._utils import store_parameters

REGRESSION_LOSSES = sorted(
    name for name, loss in losses.LOSSES.items() if loss.out_activation in ("identity", "exp")
)
"""The losses of ``nn.losses.LOSSES`` with a real (identity) or positive (exp) output."""


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor.

    scikit-learn's ``MLPRegressor`` parameters, defaults and fitted
    attributes, plus more activations, learning-rate schedules for every
    stochastic solver, early stopping on any scorer with a validation-loss
    curve, a compute ``dtype``, and scikit-learn's callbacks. The parameters
    it shares with :class:`MLPClassifier` mean the same; these differ:

    Parameters
    ----------
    loss : {'squared_error', 'poisson', 'absolute_error', 'huber', \
'quantile'}, default='squared_error'
        'squared_error' has an identity output; 'poisson' a log link
        (exponential output) for non-negative counts or rates. The robust
        losses have an identity output: 'absolute_error' (the conditional
        median), 'huber' (squared within ``huber_delta`` of the target,
        absolute beyond) and 'quantile' (the pinball loss of ``quantile``,
        fitting the conditional quantile). ``loss_`` and ``loss_curve_``
        are this loss's mean over the samples (plus the L2 term); with several
        outputs it sums the outputs' losses (scikit-learn averages the
        squared errors in ``loss_`` but, like sknet, optimizes the sum).
        ``score`` stays R^2 whatever the loss, as scikit-learn's regressors.
    scoring : str, callable or None, default=None
        Validation score for early stopping; None uses R^2 (for 'quantile',
        consider a pinball-loss scorer, ``make_scorer(mean_pinball_loss,
        alpha=quantile, greater_is_better=False)``).
    quantile : float, default=0.5
        The quantile level in (0, 1) of ``loss='quantile'`` (scikit-learn's
        ``HistGradientBoostingRegressor`` name); unused by the other losses.
    huber_delta : float, default=1.0
        Where the 'huber' loss turns from squared to absolute, in the units
        of y (> 0); unused by the other losses. Not ``epsilon`` (as in
        ``HuberRegressor``) nor ``alpha`` (as in ``GradientBoostingRegressor``):
        both names are taken by Adam and the L2 penalty.

    The others: ``hidden_layer_sizes``, ``activation``, ``solver``, ``alpha``,
    ``batch_size``, ``learning_rate``, ``learning_rate_init``, ``power_t``,
    ``max_iter``, ``shuffle``, ``random_state``, ``tol``, ``verbose``,
    ``warm_start``, ``momentum``, ``nesterovs_momentum``, ``early_stopping``,
    ``validation_fraction``, ``beta_1``, ``beta_2``, ``epsilon``,
    ``n_iter_no_change``, ``max_fun``, ``dtype``, ``dropout``,
    ``max_grad_norm`` — see :class:`MLPClassifier`.

    Attributes
    ----------
    coefs_, intercepts_, loss_, loss_curve_, validation_loss_curve_, \
validation_scores_, best_validation_score_, best_loss_, t_, n_iter_, \
n_layers_, n_outputs_, n_features_in_, feature_names_in_
        As in :class:`MLPClassifier`.
    out_activation_ : str
        'exp' for Poisson, 'identity' for the other losses.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 0.3
    >>> reg = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs").fit(X, y)
    >>> np.round(reg.coefs_[0].ravel(), 2)
    array([ 1. , -2. ,  0.5])
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
    }
    _y_numeric = True

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        scoring=None,
        dtype=None,
        dropout=0.0,
        max_grad_norm=None,
        quantile=0.5,
        huber_delta=1.0,
    ):
        store_parameters(self, locals())

    def _encode_targets(self, y, fresh, classes, dtype):
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for "
                "Poisson regression (loss='poisson')."
            )
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not fresh and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the model was fitted with "
                f"{self.n_outputs_}; set warm_start=False to refit."
            )
        self.n_outputs_ = Y.shape[1]
        self.out_activation_ = self._loss().out_activation
        return Y.astype(dtype, copy=False)

    def _loss(self):
        """The loss of ``loss``, with its parameter (``quantile``, ``huber_delta``)."""
        params = {"quantile": {"quantile": self.quantile}, "huber": {"delta": self.huber_delta}}
        return losses.get(self.loss, **params.get(self.loss, {}))

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None
    ):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        X_val, y_val, sample_weight_val : default=None
            Validation rows, needing ``early_stopping=True``: every call
            scores them and the patience counter and best weights carry
            over; the call that exhausts ``n_iter_no_change`` puts the best
            weights back, and later calls with them leave the model as it
            is (``n_iter_ = 0``). See :meth:`fit` for their shapes.

        Returns
        -------
        self : object
            The updated estimator.
        """
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=True, validation=validation)

    def predict(self, X):
        """Predict using the multi-layer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        P = self._predict_outputs(X)
        return P.ravel() if P.shape[1] == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
