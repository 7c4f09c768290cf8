"""DataParallel: one sknet network trained on data spread over a Dask cluster."""

from numbers import Integral

import numpy as np
from dask import delayed, is_dask_collection
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _bridge, _fit, _worker
from ._cluster import Cluster, connect
from ._data import blocks, partitions


def _has(method):
    return lambda self: hasattr(self.estimator, method)


class DataParallel(MetaEstimatorMixin, BaseEstimator):
    """Train one sknet network on data spread over the workers of a Dask cluster.

    The data stays where it is: partitions are encoded and kept on the
    workers, and only parameter vectors, gradients and scalars travel.
    The result, ``estimator_``, is an ordinary fitted sknet estimator.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        The sknet network to train, with its solver and parameters.
    strategy : {'gradient', 'average'}, default='gradient'
        'gradient' is exact data parallelism: with ``solver='lbfgs'`` the
        full-batch loss and gradient are sums over the partitions and SciPy's
        L-BFGS runs on the client (the same fit as a local ``fit`` on all the
        rows); with 'sgd' or 'adam' every step is one global minibatch of
        ``batch_size`` rows spread over the partitions in proportion, and
        one update. 'average' is federated averaging: every round, each
        partition trains a copy of the parameters for ``local_epochs`` with
        the estimator's solver, and the client averages them (and the
        optimizer's moments), weighted by the partitions' sample weight.
    local_epochs : int, default=1
        Epochs (L-BFGS iterations) per partition and round, for 'average'.
    persist : bool, default=True
        Keep the encoded partitions in the workers' memory. False streams
        them from their source (a lazily built dask array, zarr, parquet) at
        every pass: for data larger than the cluster's memory, with
        'average' or L-BFGS.
    client : distributed.Client, str or None, default=None
        The cluster to use: a client, or a scheduler address (which, unlike
        a client, survives pickling, e.g. into joblib's worker processes);
        None uses the current client (the one created last, or the worker's
        own client inside a Dask task).

    Attributes
    ----------
    estimator_ : MLPClassifier or MLPRegressor
        The fitted network, with every fitted attribute a local fit sets.
    classes_ : ndarray of shape (n_classes,)
        Class labels (classifiers).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X had string column names.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster
    >>> from sklearn.datasets import make_classification
    >>> from sknet import MLPClassifier
    >>> from sknet.dask import DataParallel
    >>> cluster = LocalCluster(n_workers=2, processes=False, dashboard_address=None)
    >>> client = Client(cluster)
    >>> X, y = make_classification(n_samples=400, random_state=0)
    >>> net = MLPClassifier((16,), solver="lbfgs", max_iter=50, random_state=0)
    >>> model = DataParallel(net).fit(X, y)
    >>> local = MLPClassifier((16,), solver="lbfgs", max_iter=50, random_state=0).fit(X, y)
    >>> bool(abs(model.estimator_.loss_ - local.loss_) < 1e-8 * local.loss_)
    True
    >>> client.close()
    >>> cluster.close()
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "strategy": [StrOptions({"gradient", "average"})],
        "local_epochs": [Interval(Integral, 1, None, closed="left")],
        "persist": ["boolean"],
        "client": "no_validation",
    }

    def __init__(
        self, estimator, *, strategy="gradient", local_epochs=1, persist=True, client=None
    ):
        self.estimator = estimator
        self.strategy = strategy
        self.local_epochs = local_epochs
        self.persist = persist
        self.client = client

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the network on the cluster.

        Parameters
        ----------
        X : dask array, dask DataFrame, array-like or sparse matrix
            Training rows; dask collections are used partition by partition
            (a dask array is rechunked to one column block), in-memory data
            is cut into one partition per worker thread.
        y : dask array, dask Series or DataFrame, or array-like
            Targets, partitioned like X.
        sample_weight : dask array or Series, or array-like, default=None
            Sample weights, partitioned like X.

        Returns
        -------
        self : object
            The fitted meta-estimator.
        """
        _bridge.check_estimator(self.estimator)
        if self.estimator.warm_start:
            raise ValueError(
                "DataParallel fits from scratch; warm_start=True is not supported. "
                "Continue training locally with estimator_.partial_fit or warm_start."
            )
        with connect(self.client) as client:
            args = (self.strategy, self.local_epochs, self.persist)
            estimator = _fit.train(Cluster(client), self.estimator, X, y, sample_weight, *args)
        self.estimator_ = estimator
        self.n_features_in_ = estimator.n_features_in_
        self.__dict__.pop("feature_names_in_", None)
        if hasattr(estimator, "feature_names_in_"):
            self.feature_names_in_ = estimator.feature_names_in_
        return self

    @property
    def classes_(self):
        """Class labels of the fitted classifier."""
        return self.estimator_.classes_

    def predict(self, X):
        """Predict with ``estimator_``: a dask array for dask input, else an ndarray.

        Parameters
        ----------
        X : dask array, dask DataFrame, array-like or sparse matrix
            The input rows.

        Returns
        -------
        y : dask array or ndarray
            Predicted labels or values.
        """
        return self._apply("predict", X)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``estimator_`` (a dask array for dask input).

        Parameters
        ----------
        X : dask array, dask DataFrame, array-like or sparse matrix
            The input rows.

        Returns
        -------
        proba : dask array or ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        return self._apply("predict_proba", X)

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log-probabilities from ``estimator_`` (a dask array for dask input).

        Parameters
        ----------
        X : dask array, dask DataFrame, array-like or sparse matrix
            The input rows.

        Returns
        -------
        log_proba : dask array or ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        return self._apply("predict_log_proba", X)

    def score(self, X, y, sample_weight=None):
        """Accuracy (classifiers) or R² (regressors) of ``estimator_``.

        For dask input the figure is computed where the rows are, from
        per-partition counts and sums; no predictions come to the client.

        Parameters
        ----------
        X : dask array, dask DataFrame, array-like or sparse matrix
            Test rows.
        y : dask array, dask Series or DataFrame, or array-like
            True labels or values, partitioned like X.
        sample_weight : dask array or Series, or array-like, default=None
            Sample weights.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if not is_dask_collection(X):
            return self.estimator_.score(X, y, sample_weight=sample_weight)
        with connect(self.client) as client:
            cluster = Cluster(client)
            parts = partitions(X, y, sample_weight, 1)
            est = self.estimator_
            theta = _bridge.network(est).pack(est.coefs_, est.intercepts_)
            worker = delayed(_bridge.for_workers(est, None), pure=True)
            items = [(worker, delayed(_worker.shard)(worker, p, 0.0, 0)) for p in parts]
            sums = cluster.map_reduce(_shard_score, items, theta, combine=_worker.combine_scores)
        return _fit.score(sums)

    def _apply(self, method, X):
        check_is_fitted(self)
        if not is_dask_collection(X):
            return getattr(self.estimator_, method)(X)
        import dask.array as da

        est = self.estimator_
        row, dtype = _output(est, method)
        shape = (np.nan, *row)
        apply = delayed(_predict_block, pure=True)
        outputs = [
            da.from_delayed(apply(est, method, block, row, dtype), shape=shape, dtype=dtype)
            for block in blocks(X)[0]
        ]
        return da.concatenate(outputs)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags = inner.target_tags
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    def __sklearn_clone__(self):
        """A clone that shares the client (a live connection cannot be copied)."""
        params = self.get_params(deep=False)
        params["estimator"] = clone(self.estimator)
        return type(self)(**params)


def _shard_score(template, shard, theta):
    return None if shard is None else _worker.score_sums(template, shard.train, theta)


def _predict_block(estimator, method, X, row, dtype):
    if X.shape[0] == 0:  # an empty partition: nothing to validate
        return np.empty((0, *row), dtype=dtype)
    return getattr(estimator, method)(X)


def _output(est, method):
    """Shape of one row of ``method``'s output, and its dtype."""
    dtype = est.coefs_[0].dtype
    if method != "predict":
        return (max(est.n_outputs_, 2),), dtype
    if not hasattr(est, "classes_"):
        return ((), dtype) if est.n_outputs_ == 1 else ((est.n_outputs_,), dtype)
    if est.out_activation_ == "logistic" and est.n_outputs_ > 1:  # multilabel
        return (est.n_outputs_,), np.dtype(int)
    return (), est.classes_.dtype
