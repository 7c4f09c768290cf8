"""Plots of a fitted network's training, in scikit-learn's Display convention.

A Display keeps the data it draws (``loss_curve``, ...) apart from the drawing
(``plot``), so a user can restyle a figure without refitting. matplotlib is an
optional dependency (``pip install "sknet[plot]"``) imported only when drawing.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._estimators._utils import final_estimator, scoring_name

__all__ = ["LossCurveDisplay"]


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('LossCurveDisplay needs matplotlib: pip install "sknet[plot]"') from exc
    return plt


class LossCurveDisplay:
    """Training loss per epoch, with the validation loss and score when
    early stopping ran.

    Build it with :meth:`from_estimator` from a fitted network, a Pipeline
    ending in one, or a fitted grid search; or with the constructor from the
    curves themselves, then call :meth:`plot`. The training and validation
    losses share the left axis; the validation score gets its own right axis.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss at the end of each epoch (``loss_curve_``).
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Loss on the held-out validation fraction per epoch
        (``validation_loss_curve_``), or None when there is none.
    validation_scores : array-like of shape (n_epochs,), default=None
        Early-stopping score on the validation fraction per epoch
        (``validation_scores_``), or None.
    score_name : str, default="score"
        Name of the validation score, used in the legend and axis label.
        :meth:`from_estimator` names it as ``verbose`` does: the ``scoring``
        string, a scoring callable's name, or ``"score"`` for the estimator's
        own ``score`` (accuracy for a classifier, R² for a regressor).
    estimator_name : str, default=None
        Name shown in the title. None shows no title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes holding the loss curves.
    score_ax_ : matplotlib Axes or None
        Right-hand twin axes holding the validation score, or None when no
        score was drawn.
    figure_ : matplotlib Figure
        Figure containing the axes.
    lines_ : dict of str to matplotlib Line2D
        The drawn curves, keyed by ``"training loss"``, ``"validation loss"``
        and ``"validation score"`` (only those drawn).

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Score against training set
        size, across refits.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknet import MLPClassifier
    >>> from sknet.display import LossCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(max_iter=20, early_stopping=True, random_state=0)
    >>> clf = clf.fit(X / 16, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> sorted(display.lines_)
    ['training loss', 'validation loss', 'validation score']
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        validation_scores=None,
        score_name="score",
        estimator_name=None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_scores = validation_scores
        self.score_name = score_name
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, name=None, show_score=True):
        """Plot the loss curves of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted :class:`~sknet.MLPClassifier` or
            :class:`~sknet.MLPRegressor`, a fitted
            :class:`~sklearn.pipeline.Pipeline` whose last step is one, or a
            fitted :class:`~sklearn.model_selection.GridSearchCV` /
            :class:`~sklearn.model_selection.RandomizedSearchCV` (its
            ``best_estimator_`` is used). Any estimator with a ``loss_curve_``
            works, scikit-learn's MLPs included.
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure.
        name : str, default=None
            Title of the plot. None uses the network's class name.
        show_score : bool, default=True
            Draw the validation score, when there is one, on a twin axis.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.

        Raises
        ------
        AttributeError
            If the network has no ``loss_curve_`` (e.g. fitted with L-BFGS by
            scikit-learn).

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sknet import MLPRegressor
        >>> from sknet.display import LossCurveDisplay
        >>> X, y = load_diabetes(return_X_y=True)
        >>> model = make_pipeline(StandardScaler(), MLPRegressor(max_iter=30))
        >>> model = model.fit(X, y / 100)
        >>> display = LossCurveDisplay.from_estimator(model)
        >>> list(display.lines_)
        ['training loss']
        """
        network = final_estimator(estimator)
        check_is_fitted(network)
        if getattr(network, "loss_curve_", None) is None:
            raise AttributeError(
                f"{type(network).__name__} has no loss_curve_: it records one "
                "per epoch only with the stochastic solvers ('sgd', 'adam')."
            )
        scores = getattr(network, "validation_scores_", None)
        if scores is not None and len(scores) == 0:
            scores = None
        display = cls(
            loss_curve=network.loss_curve_,
            validation_loss_curve=getattr(network, "validation_loss_curve_", None),
            validation_scores=scores,
            score_name=scoring_name(network),
            estimator_name=type(network).__name__,
        )
        return display.plot(ax=ax, name=name, show_score=show_score)

    def plot(self, ax=None, *, name=None, show_score=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure.
        name : str, default=None
            Title of the plot. None uses ``estimator_name``.
        show_score : bool, default=True
            Draw the validation score, when there is one, on a twin axis.

        Returns
        -------
        display : LossCurveDisplay
            This display, with ``ax_``, ``figure_`` and ``lines_`` set.

        Examples
        --------
        >>> from sknet.display import LossCurveDisplay
        >>> display = LossCurveDisplay(
        ...     loss_curve=[1.0, 0.6, 0.4],
        ...     validation_loss_curve=[1.1, 0.8, 0.7],
        ... ).plot()
        >>> display.ax_.get_xlabel()
        'epoch'
        """
        plt = _import_pyplot()
        if ax is None:
            _, ax = plt.subplots()
        self.ax_, self.figure_, self.lines_, self.score_ax_ = ax, ax.figure, {}, None

        self._draw(ax, "training loss", self.loss_curve, color="C0")
        if self.validation_loss_curve is not None:
            self._draw(ax, "validation loss", self.validation_loss_curve, color="C1")
        ax.set_xlabel("epoch")
        ax.set_ylabel("loss")
        handles = list(self.lines_.values())

        if show_score and self.validation_scores is not None:
            self.score_ax_ = ax.twinx()
            self._draw(
                self.score_ax_,
                "validation score",
                self.validation_scores,
                label=f"validation {self.score_name}",
                color="C2",
                linestyle="--",
            )
            self.score_ax_.set_ylabel(f"validation {self.score_name}")
            handles.append(self.lines_["validation score"])

        ax.legend(handles=handles, loc="center right")
        title = name if name is not None else self.estimator_name
        if title is not None:
            ax.set_title(title)
        return self

    def _draw(self, ax, key, values, label=None, **style):
        values = np.asarray(values, dtype=float)
        epochs = np.arange(1, values.size + 1)
        (self.lines_[key],) = ax.plot(epochs, values, label=label or key, **style)
