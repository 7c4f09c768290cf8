"""One distributed fit, from the user's input to a fitted sknet estimator.

The steps: cut the input into partitions (kept on the workers with
``persist=True``); one cheap pass for sizes, labels and a row per label; a
tiny local fit of a clone, from which the glue's encoding and fitted
attributes come (:func:`_bridge.template`); the partitions encoded where
they are; then the strategy's loop (``_solvers``), which leaves the weights
and the solver's attributes on that clone.
"""

import math
from dataclasses import dataclass

import numpy as np
from dask import delayed, is_dask_collection
from sklearn.base import is_classifier

from . import _bridge, _data, _solvers, _worker


@dataclass
class Run:
    """What the solvers need: the cluster, the estimator, its data and weights."""

    cluster: object
    estimator: object  # the fitted template: becomes estimator_
    worker_template: object  # its persisted copy that encodes and computes on workers
    shards: list
    n_train: list
    n_val: list
    net: object
    theta: np.ndarray
    rng: object

    def map(self, fn, items, *shared, combine=_worker.add):
        """``fn(worker_template, *item, *shared)`` for each item, combined on the cluster."""
        per = [(self.worker_template, *item) for item in items]
        return self.cluster.map_reduce(fn, per, *shared, combine=combine)


def train(cluster, estimator, X, y, sample_weight, strategy, local_epochs, persist):
    """Fit a clone of ``estimator`` on the cluster; returns it."""
    parts = _data.partitions(X, y, sample_weight, cluster.n_threads())
    if persist and is_dask_collection(X):
        parts = cluster.persist(parts)  # a lazy source is read once, not twice
    template, parts, sizes, class_weights = _survey(cluster, estimator, parts, sample_weight)
    run = _start(cluster, template, sizes)
    _encode(run, parts, class_weights, persist)
    del parts
    validate = _validator(run)
    try:
        if strategy == "average":
            _solvers.averaging(run, local_epochs, validate)
        elif template.solver == "lbfgs":
            _solvers.lbfgs(run)
        else:
            _solvers.minibatch(run, validate, persist)
    except _bridge.DivergenceError as exc:
        raise _bridge.divergence_error(template, exc) from None
    return template


def _survey(cluster, estimator, parts, sample_weight):
    """The cheap pass: the template, the non-empty partitions, their sizes, class weights."""
    classify = is_classifier(estimator)
    summaries = cluster.gather([delayed(_data.describe)(p, classify) for p in parts])
    summary = _data.merge(summaries)
    if summary is None:
        raise ValueError(
            "Found array with 0 sample(s) while a minimum of 1 is required by DataParallel."
        )
    if sample_weight is not None and not summary["weight"] > 0:
        raise ValueError("sample_weight sums to zero; give some samples a positive weight.")
    template = _bridge.template(estimator, summary["X"], summary["y"])
    keep = [i for i, s in enumerate(summaries) if s["n"]]
    sizes = [summaries[i]["n"] for i in keep]
    return template, [parts[i] for i in keep], sizes, _class_weights(template, summary)


def _start(cluster, template, sizes):
    net = _bridge.network(template)
    theta, rng = _bridge.initial_point(template, net)
    _bridge.set_weights(template, net, theta)
    return Run(cluster, template, None, [], sizes, [0] * len(sizes), net, theta, rng)


def _class_weights(template, summary):
    """Every class's weight, counted over all the data (for 'balanced')."""
    class_weight = getattr(template, "class_weight", None)
    if class_weight is None:
        return None
    classes = template.classes_
    if isinstance(class_weight, str):  # "balanced"
        counts = dict(zip(summary["labels"], summary["counts"]))
        return {c: summary["n"] / (len(classes) * counts[c]) for c in classes}
    return {c: class_weight.get(c, 1.0) for c in classes}


def _encode(run, parts, class_weights, persist):
    """Encode each partition where it lives and split off validation rows.

    The workers' copy of the template and the encoded shards are sent and
    kept in one call (with ``persist``), so setting up costs one round trip.
    """
    est = run.estimator
    fraction = 0.0
    if est.early_stopping and est.solver != "lbfgs":
        _check_scoring(est)
        fraction = est.validation_fraction
        run.n_val = [math.ceil(fraction * n) for n in run.n_train]
        run.n_train = [n - v for n, v in zip(run.n_train, run.n_val)]
        if sum(run.n_val) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
    seeds = run.rng.randint(np.iinfo(np.int32).max, size=len(parts))
    worker = delayed(_bridge.for_workers(est, class_weights), pure=True)
    shard = delayed(_worker.shard)
    shards = [shard(worker, p, fraction, s) for p, s in zip(parts, seeds)]
    if persist:
        worker, *shards = run.cluster.persist([worker, *shards])
    run.worker_template, run.shards = worker, shards


def _check_scoring(est):
    expected = "accuracy" if is_classifier(est) else "r2"
    if est.scoring not in (None, expected):
        raise ValueError(
            f"DataParallel scores early stopping where the validation rows live, with "
            f"{expected!r}; scoring={est.scoring!r} would need them on the client. Use "
            "scoring=None or early_stopping=False."
        )


def _validator(run):
    """``validate(theta) -> (score, loss)`` on the validation rows, or None."""
    if not any(run.n_val):
        return None
    items = [(s,) for s, n in zip(run.shards, run.n_val) if n]

    def validate(theta):
        sums = run.map(_worker.validation_sums, items, theta, combine=_worker.combine_scores)
        return score(sums), sums["loss"] / sums["weight"]

    return validate


def score(sums):
    """Accuracy or R² (uniform average over outputs) from merged score sums."""
    if "correct" in sums:
        return sums["correct"] / sums["weight"]
    sse, m2 = np.atleast_1d(sums["sse"]), np.atleast_1d(sums["m2"])
    safe = np.where(m2 > 0, m2, 1.0)
    r2 = np.where(m2 > 0, 1.0 - sse / safe, np.where(sse == 0, 1.0, 0.0))
    return float(np.mean(r2))
