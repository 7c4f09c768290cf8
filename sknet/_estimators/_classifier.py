"""MLPClassifier: labels in, probabilities out."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels

from ..nn.activations import log_logistic, log_softmax
from ._base import BaseMLP


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
'elu', 'gelu', 'softplus'}, default='relu'
        Hidden-layer activation.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        'lbfgs' optimizes the full-batch loss with SciPy's L-BFGS-B; 'sgd'
        and 'adam' run minibatch epochs.
    alpha : float, default=0.0001
        L2 penalty strength (scaled by the number or total weight of samples).
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'cosine'}, \
default='constant'
        Learning-rate schedule: constant; inverse scaling
        ``lr0 / (t + 1) ** power_t`` with t the samples seen; adaptive
        (divide by 5 when training stops improving); cosine decay from
        ``learning_rate_init`` towards 0 over ``max_iter`` epochs, then a
        restart. As in scikit-learn, 'adam' ignores 'invscaling' and
        'adaptive' (it keeps its rate constant); 'cosine' applies to both
        'sgd' and 'adam'. Every ``fit`` starts the schedule from
        ``learning_rate_init`` again, also with ``warm_start``.
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
        Print scikit-learn's progress lines (``Iteration 3, loss =
        0.12345678``, ``Validation score: ...``, why training stopped),
        each followed by sknet's figures: learning rate, time, scorer and
        validation loss.
    warm_start : bool, default=False
        Continue from the fitted weights and optimizer state (momentum,
        Adam moments). The classes of ``y`` must be the same as before.
    momentum : float, default=0.9
        Momentum of 'sgd'.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score
        stops improving and keep the best weights.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping, in [0, 1); used
        only with ``early_stopping=True``.
    beta_1, beta_2 : float, default=0.9, 0.999
        Moment decay rates of 'adam'.
    epsilon : float, default=1e-8
        Numerical stability term of 'adam'.
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
        anything else is float64); 'float32' trains float64 input in single
        precision, the fast path.

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
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=500,
    ...                     random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _parameter_constraints.pop("loss", None)

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
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            scoring=scoring,
            dtype=dtype,
        )
        self.class_weight = class_weight

    def _encode_targets(self, y, fresh, classes, dtype):
        if fresh or not hasattr(self, "_label_binarizer"):
            self._fit_binarizer(y, classes)
        if not fresh or classes is not None:
            self._check_known_classes(y)
        Y = _one_hot(y, self.classes_, self._label_binarizer, dtype)
        if getattr(self, "_target_proba", None) is not None:  # set by _fit_proba
            Y = self._target_proba[:, 1:] if Y.shape[1] == 1 else self._target_proba
            Y = Y.astype(dtype)
        self.n_outputs_ = Y.shape[1]
        return Y

    def _fit_binarizer(self, y, classes):
        binarizer = LabelBinarizer()
        multilabel = type_of_target(y).startswith("multilabel")
        binarizer.fit(y if classes is None or multilabel else classes)
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        self.out_activation_ = "softmax" if binarizer.y_type_ == "multiclass" else "logistic"

    def _check_known_classes(self, y):
        """scikit-learn's rule: a warm start needs the same classes as the last
        fit; partial_fit, classes it knows."""
        classes = unique_labels(y)
        if self.warm_start:
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in "
                    f"the previous call to fit. Previously got {self.classes_}, `y` has "
                    f"{classes}"
                )
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {classes}."
            )

    def _weigh_classes(self, y, w, dtype):
        if self.class_weight is None:
            return w
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel y.")
        if isinstance(self.class_weight, dict) and any(v < 0 for v in self.class_weight.values()):
            raise ValueError(
                f"Negative values in data passed to `class_weight`: {self.class_weight}; "
                "class weights must be non-negative, as sample weights must."
            )
        cw = compute_sample_weight(self.class_weight, y).astype(dtype)
        return cw if w is None else cw * w

    def _stratify_validation(self, y):
        """As in scikit-learn: only single-output (binary) targets are stratified,
        so the same seed holds out the same samples."""
        return self.n_outputs_ == 1

    @_fit_context(prefer_skip_nested_validation=True)
    def _partial_fit(self, X, y, sample_weight=None, classes=None):
        if _check_partial_fit_first_call(self, classes):
            self.__dict__.pop("classes_", None)
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole training set, which "
                "partial_fit does not see; pass a dict computed beforehand with "
                "sklearn.utils.class_weight.compute_class_weight."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    @_fit_context(prefer_skip_nested_validation=True)
    def _fit_proba(self, X, proba, classes, sample_weight=None):
        """Fit to class probabilities (soft targets) instead of labels.

        The hook of ``sknet.compress.distill``. ``proba`` (n_samples,
        n_classes) holds one probability distribution per row over
        ``classes``, which become ``classes_`` even if no row favours one of
        them. The log-loss of a probability row is the cross-entropy, whose
        gradient the core computes as for labels (``sknet.nn.losses``).
        The most probable class of each row serves as its label wherever a
        label is needed: class weights, the early-stopping score, callbacks.
        """
        classes, proba = np.asarray(classes), np.asarray(proba, dtype=float)
        if proba.ndim != 2 or proba.shape[1] != len(classes) or not np.isfinite(proba).all():
            raise ValueError(
                f"proba must be a finite 2-D array with one column per class of {classes}."
            )
        if np.any(proba < 0) or not np.allclose(proba.sum(axis=1), 1, atol=1e-3):
            raise ValueError("Each row of proba must be a probability distribution.")
        order = np.argsort(classes)  # classes_ are sorted
        classes, proba = classes[order], proba[:, order]
        self._target_proba = proba / proba.sum(axis=1, keepdims=True)
        try:
            y = classes[np.argmax(proba, axis=1)]
            return self._fit(X, y, sample_weight, incremental=False, classes=classes)
        finally:
            del self._target_proba

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
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

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._partial_fit(X, y, sample_weight, classes)

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
        P = self._predict_outputs(X)
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(P, axis=1)]
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(P))
        if self.n_outputs_ == 1:
            return self.classes_[(P[:, 0] > 0.5).astype(int)]
        return (P > 0.5).astype(int)

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
        if self.out_activation_ == "logistic" and self.n_outputs_ == 1:
            return np.hstack([1 - P, P])
        return P

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
        Z = self._predict_outputs(X, logits=True)
        if self.out_activation_ == "softmax":
            return log_softmax(Z)
        if self.n_outputs_ == 1:
            return np.hstack([log_logistic(-Z), log_logistic(Z)])
        return log_logistic(Z)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _one_hot(y, classes, binarizer, dtype):
    """Targets as a float matrix in the training dtype, built directly.

    ``LabelBinarizer.transform`` makes an int64 (n, n_classes) matrix that a
    cast then copies: with a million rows that was the peak of the whole fit.
    """
    if binarizer.y_type_.startswith("multilabel"):
        return binarizer.transform(y).astype(dtype, copy=False)
    codes = np.searchsorted(classes, y)
    if len(classes) <= 2:
        return codes.astype(dtype).reshape(-1, 1)
    Y = np.zeros((len(codes), len(classes)), dtype=dtype)
    Y[np.arange(len(codes)), codes] = 1
    return Y
