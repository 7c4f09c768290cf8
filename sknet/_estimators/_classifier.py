"""MLPClassifier: labels in, probabilities out."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call

from . import _labels
from ._base import BaseMLP
from ._utils import canonical_loss, store_parameters


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier trained with log-loss.

    scikit-learn's ``MLPClassifier`` parameters, defaults and fitted
    attributes, plus class weights, more activations, learning-rate schedules
    for every stochastic solver, early stopping on any scorer with a
    validation-loss curve, a compute ``dtype``, and scikit-learn's callbacks.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer; ``()`` gives a linear model
        (multinomial or binary logistic regression).
    activation : {'identity', 'logistic', 'tanh', 'relu', 'leaky_relu', \
'elu', 'gelu', 'softplus', 'silu', 'mish'} or tuple, default='relu'
        Hidden-layer activation, or a tuple of them, one per hidden layer.
    solver : {'lbfgs', 'sgd', 'adam', 'adamw'}, default='adam'
        'lbfgs' optimizes the full-batch loss with SciPy's L-BFGS-B; 'sgd',
        'adam' and 'adamw' (Adam with decoupled weight decay) run minibatch epochs.
    alpha : float, default=0.0001
        L2 penalty strength (scaled by the number or total weight of samples);
        with 'adamw', the decoupled weight decay per step instead.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
default='constant'
        Schedule: constant; ``lr0 / (t + 1) ** power_t`` (t: samples seen);
        adaptive (divide by 5 on a plateau); cosine decay towards 0 over
        ``max_iter`` epochs, then a restart ('adam', 'adamw' follow only
        this one). Every ``fit`` restarts it from ``learning_rate_init``.
    learning_rate_init : float, default=0.001
        Initial learning rate.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum epochs (stochastic solvers) or iterations (lbfgs).
    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and the validation split.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool, default=False
        Print scikit-learn's progress lines (``Iteration 3, loss = ...``),
        each followed by sknet's figures (rate, time, validation loss).
    warm_start : bool, default=False
        Continue from the fitted weights and optimizer state (momentum,
        Adam moments). The classes of ``y`` must be the same as before.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` (or score the ``X_val`` given to
        ``fit``/``partial_fit``), stop on its score, keep the best weights.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping, in [0, 1); used
        only with ``early_stopping=True``.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Moment decay rates and numerical stability term of 'adam' and 'adamw'.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping (or, with 'adaptive',
        dividing the learning rate).
    max_fun : int, default=15000
        Maximum loss evaluations of 'lbfgs'.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class, multiplied into ``sample_weight``; 'balanced'
        uses ``n_samples / (n_classes * np.bincount(y))``.
    scoring : str, callable or None, default=None
        Validation score for early stopping: any scikit-learn scorer name
        (e.g. 'f1_macro') or callable ``scorer(estimator, X, y)``; None
        uses accuracy.
    dtype : {'float32', 'float64'} or None, default=None
        Compute precision. None follows the input (float32 stays float32,
        anything else is float64); 'float32' is the fast path.
    dropout : float or tuple of float, default=0.0
        Probability in [0, 1) of dropping a hidden unit in training (inverted
        dropout), for all hidden layers or one per layer; stochastic solvers
        only, masks drawn from ``random_state``, prediction uses every unit.
    max_grad_norm : float or None, default=None
        Clip the norm of each step's whole gradient to this (sgd, adam, adamw).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray
        Weight matrix of each layer, shape (n_in, n_out).
    intercepts_ : list of ndarray
        Bias vector of each layer.
    loss_ : float
        Loss of the last epoch (or the final lbfgs loss).
    loss_curve_ : list of float
        Training loss per epoch (per iteration for lbfgs).
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, when early stopping ran.
    validation_scores_ : list of float or None
        Validation score per epoch, when early stopping ran.
    best_validation_score_ : float or None
        Best validation score, when early stopping ran.
    best_loss_ : float or None
        Lowest training loss, without early stopping.
    t_ : int
        Training samples seen by the solver.
    n_iter_ : int
        Epochs (or lbfgs iterations) run by the last call.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        Output activation: 'logistic' (binary, multilabel) or 'softmax'.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X had string column names.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknet import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), max_iter=500, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
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
        class_weight=None,
        scoring=None,
        dtype=None,
        dropout=0.0,
        max_grad_norm=None,
    ):
        store_parameters(self, locals())

    loss = "log_loss"  # an attribute, as in scikit-learn; y decides the output

    def _encode_targets(self, y, fresh, classes, dtype):
        if fresh or not hasattr(self, "_label_binarizer"):
            self._label_binarizer, self.out_activation_ = _labels.fit_binarizer(y, classes)
            self.classes_ = self._label_binarizer.classes_
        if not fresh or classes is not None:
            _labels.check_known_classes(y, self.classes_, self.warm_start)
        proba = getattr(self, "_target_proba", None)  # set by _fit_proba
        Y = _labels.one_hot(y, self.classes_, self._label_binarizer, dtype, proba)
        self.n_outputs_ = Y.shape[1]
        return Y

    def _weigh_classes(self, y, w, dtype):
        return _labels.class_weights(self.class_weight, self._label_binarizer, y, w, dtype)

    def _loss(self):
        return canonical_loss(self.out_activation_)

    def _stratify_validation(self, y):
        """Only single-output (binary) targets, as in scikit-learn (same seed, same split)."""
        return self.n_outputs_ == 1

    _fit_proba = _labels.fit_proba  # soft targets: the hook of sknet.compress.distill

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X,
        y,
        sample_weight=None,
        classes=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The target labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes across calls, e.g. ``np.unique(y_all)``; required on
            the first call and may be omitted afterwards. As in
            scikit-learn, multilabel y needs it too: pass the label columns,
            ``np.arange(n_labels)``. y need not contain every class.
        X_val, y_val, sample_weight_val : default=None
            Validation rows, as for :meth:`fit`; patience and the best weights
            carry across calls (as in :meth:`MLPRegressor.partial_fit`).

        Returns
        -------
        self : object
            The updated estimator.
        """
        if _check_partial_fit_first_call(self, classes):
            self.__dict__.pop("classes_", None)
        _labels.check_incremental_class_weight(self.class_weight)
        validation = (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, True, classes, validation)

    def predict(self, X):
        """Predict class labels (an indicator matrix for multilabel y).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.
        """
        return _labels.decode(self._predict_outputs(X), self.classes_, self.out_activation_)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities in the order of ``classes_`` (for multilabel,
            each label's probability).
        """
        P = self._predict_outputs(X)
        return np.hstack([1 - P, P]) if P.shape[1] == 1 else P

    def predict_log_proba(self, X):
        """Log of the probability estimates, computed from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, finite even where a probability rounds to 0.
        """
        return _labels.log_proba(self._predict_outputs(X, logits=True), self.out_activation_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
