"""AttributionDisplay: attributions per feature, ranked, in scikit-learn's Display convention."""

import numpy as np

from ._attributions import attributions, split_model
from ._attributions import feature_names as model_feature_names

POSITIVE, NEGATIVE = "C3", "C0"  # red raises the explained output, blue lowers it
_BAR_STYLE = dict(facecolor="none", edgecolor="black", linewidth=1.2)


def _import_pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError('AttributionDisplay needs matplotlib: pip install "sknet[plot]"') from exc
    return plt


class AttributionDisplay:
    """Attributions of a network's predictions, per feature, ranked.

    Each feature gets a bar, its mean absolute attribution over the rows, and
    a strip of one dot per row at that row's signed attribution: red where
    the feature raised the explained output, blue where it lowered it.
    Features are ranked by the bar, largest on top.

    Build it with :meth:`from_estimator` from a fitted model and rows, or
    with the constructor from attributions already computed (see
    :func:`attributions`), then call :meth:`plot`. Needs matplotlib
    (``pip install "sknet[plot]"``).

    Parameters
    ----------
    attributions : array-like of shape (n_samples, n_features)
        One row of attributions per explained row.
    feature_names : array-like of str of shape (n_features,), default=None
        Names of the features. None names them ``x0``, ``x1``, ...
    method : str, default=None
        The attribution method, shown in the axis label.
    estimator_name : str, default=None
        Name shown in the title. None shows no title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes holding the plot.
    figure_ : matplotlib Figure
        Figure containing the axes.
    bars_ : matplotlib BarContainer
        The bars of mean absolute attribution, top feature first.
    points_ : matplotlib PathCollection
        The per-row dots.
    ranked_features_ : ndarray of int
        Indices of the plotted features, from the largest mean absolute
        attribution down.

    See Also
    --------
    attributions : The attributions themselves.
    sklearn.inspection.permutation_importance : A model-agnostic global
        importance to compare the ranking with.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknet import MLPClassifier
    >>> from sknet.inspection import AttributionDisplay
    >>> data = load_breast_cancer(as_frame=True)
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, random_state=0))
    >>> model = model.fit(data.data, data.target)
    >>> display = AttributionDisplay.from_estimator(model, data.data[:50], max_features=5)
    >>> len(display.ranked_features_)
    5
    """

    def __init__(self, *, attributions, feature_names=None, method=None, estimator_name=None):
        self.attributions = attributions
        self.feature_names = feature_names
        self.method = method
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        method="integrated_gradients",
        target=None,
        output="auto",
        baseline=None,
        n_steps=50,
        completeness_tol=0.01,
        space="input",
        feature_names=None,
        max_features=20,
        ax=None,
    ):
        """Compute the attributions of ``estimator`` on ``X`` and plot them.

        Parameters
        ----------
        estimator : estimator
            A fitted network, a Pipeline ending in one, or a fitted search,
            as for :func:`attributions`.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows to explain.
        method, target, output, baseline, n_steps, completeness_tol, space
            As for :func:`attributions`. The plot shows one output: pass
            ``target`` for a multilabel classifier or a multi-output
            regressor.
        feature_names : array-like of str, default=None
            Names of the features. None takes the names the model knows
            (``feature_names_in_``, or ``get_feature_names_out`` of the
            preprocessing with ``space="network"``), else ``x0``, ``x1``, ...
        max_features : int, default=20
            How many of the top-ranked features to plot.
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure.

        Returns
        -------
        display : AttributionDisplay
            The display, with ``ax_``, ``figure_`` and the artists set.
        """
        A = attributions(
            estimator,
            X,
            method=method,
            target=target,
            output=output,
            baseline=baseline,
            n_steps=n_steps,
            completeness_tol=completeness_tol,
            space=space,
        )
        if A.ndim == 3:
            raise ValueError(
                f"The model has {A.shape[2]} outputs and the plot shows one: pass "
                "target= (an output index or a label) to choose it."
            )
        if feature_names is None:
            feature_names = model_feature_names(estimator, space)
        display = cls(
            attributions=A,
            feature_names=feature_names,
            method=method,
            estimator_name=type(split_model(estimator)[1]).__name__,
        )
        return display.plot(ax=ax, max_features=max_features)

    def plot(self, ax=None, *, max_features=20):
        """Draw the ranked bars and the per-row strips.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure, sized to the number
            of features shown.
        max_features : int, default=20
            How many of the top-ranked features to plot.

        Returns
        -------
        display : AttributionDisplay
            This display, with ``ax_``, ``figure_`` and the artists set.
        """
        plt = _import_pyplot()
        A = np.asarray(self.attributions, dtype=float)
        names = self.feature_names
        if names is None:
            names = [f"x{i}" for i in range(A.shape[1])]
        ranked = np.argsort(-np.abs(A).mean(axis=0), kind="stable")[:max_features]
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 1.2 + 0.35 * len(ranked)))
        y = np.arange(len(ranked))[::-1]  # the top feature at the top
        self.bars_ = ax.barh(
            y, np.abs(A[:, ranked]).mean(axis=0), height=0.7, zorder=3, **_BAR_STYLE
        )
        values = A[:, ranked]
        jitter = np.random.default_rng(0).uniform(-0.25, 0.25, values.shape)
        self.points_ = ax.scatter(
            values.ravel(),
            (y + jitter).ravel(),
            c=np.where(values.ravel() > 0, POSITIVE, NEGATIVE),
            s=6,
            alpha=0.45,
            linewidths=0,
            zorder=2,
            rasterized=True,
        )
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_yticks(y, labels=[str(names[j]) for j in ranked])
        ax.set_xlabel(f"attribution ({self.method})" if self.method else "attribution")
        ax.legend(handles=_legend_handles(plt), loc="best", fontsize="small")
        if self.estimator_name is not None:
            ax.set_title(self.estimator_name)
        self.ax_, self.figure_, self.ranked_features_ = ax, ax.figure, ranked
        return self


def _legend_handles(plt):
    from matplotlib.patches import Patch

    def dot(color, label):
        return plt.Line2D([], [], marker="o", linestyle="", color=color, label=label)

    return [
        Patch(**_BAR_STYLE, label="mean |attribution|"),
        dot(POSITIVE, "row: raises the output"),
        dot(NEGATIVE, "row: lowers the output"),
    ]
