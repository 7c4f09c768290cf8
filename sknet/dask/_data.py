"""Training data as row partitions on the cluster, and one cheap pass over them.

:func:`partitions` turns the input into a list of Dask ``Delayed`` objects,
each computing one partition ``(X, y, sample_weight)``: the blocks of a dask
array or the partitions of a dask DataFrame as they are (nothing is read),
or slices of in-memory data, one per worker thread, which become literals
of the task graph, so that Dask can rebuild a partition lost with a worker.

:func:`describe` (on a worker) and :func:`merge` (on the client) make the
cheap pass: rows and weight per partition, and for classifiers the labels,
their counts and one row showing each label, from which the glue learns the
encoding without seeing the data.
"""

import sys

import dask.array as da
import numpy as np
import scipy.sparse as sp
from dask import delayed, is_dask_collection
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import _num_samples, check_consistent_length


def partitions(X, y, sample_weight, n_parts):
    """A list of ``Delayed``, each computing one partition ``(X, y, w)``."""
    if y is None:
        raise ValueError("DataParallel requires y to be passed, but the target y is None.")
    if is_dask_collection(X):
        xs, row_chunks = blocks(X)
        ys = _split_like(y, row_chunks, len(xs), "y")
        ws = _split_like(sample_weight, row_chunks, len(xs), "sample_weight")
    else:
        X, y, sample_weight = (_as_array(v) for v in (X, y, sample_weight))
        check_consistent_length(X, y, sample_weight)
        bounds = np.linspace(0, _num_samples(X), n_parts + 1).astype(int)
        rows = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        xs, ys, ws = ([_slice(v, r) for r in rows] for v in (X, y, sample_weight))
    return [delayed(_bundle, pure=True)(*part) for part in zip(xs, ys, ws)]


def _bundle(X, y, w):
    return X, y, w


def _as_array(v):
    """Lists as arrays; sparse matrices as CSR (sliceable by rows, as fit converts them)."""
    if sp.issparse(v):
        return v.tocsr()
    if v is None or hasattr(v, "shape"):
        return v
    return np.asarray(v)


def _slice(v, rows):
    return None if v is None else _safe_indexing(v, rows)


def blocks(X):
    """``Delayed`` row blocks of a dask array (one column block) or DataFrame, and their sizes.

    The sizes are those of the array's row chunks, or None for a DataFrame.
    """
    if isinstance(X, da.Array) and X.ndim == 2:
        X = X.rechunk({1: -1})
        return list(X.to_delayed().ravel()), X.chunks[0]
    dd = sys.modules.get("dask.dataframe")
    if dd is not None and isinstance(X, dd.DataFrame):
        return list(X.to_delayed()), None
    raise ValueError(
        f"Expected a 2-D dask array or a dask DataFrame for X; got {type(X).__name__} "
        f"with {getattr(X, 'ndim', '?')} dimension(s)."
    )


def _split_like(v, row_chunks, n_blocks, name):
    """``v`` cut into the same row blocks as X."""
    if v is None:
        return [None] * n_blocks
    if not is_dask_collection(v):
        if row_chunks is None or any(np.isnan(row_chunks)):
            raise ValueError(
                f"With X a dask collection of unknown partition sizes, pass {name} as a "
                "dask collection partitioned like X."
            )
        bounds = np.cumsum((0, *row_chunks))
        return [_safe_indexing(v, slice(a, b)) for a, b in zip(bounds[:-1], bounds[1:])]
    if isinstance(v, da.Array):
        if v.ndim == 2:
            v = v.rechunk({1: -1})
        if row_chunks is not None and v.chunks[0] != row_chunks:
            lengths = [sum(row_chunks), v.shape[0]]
            if lengths[0] != lengths[1]:
                raise ValueError(
                    "Found input variables with inconsistent numbers of samples: "
                    f"{lengths} (X and {name})."
                )
            v = v.rechunk({0: row_chunks})
        blocks = list(v.to_delayed().ravel())
    else:
        blocks = list(v.to_delayed())
    if len(blocks) != n_blocks:
        raise ValueError(
            f"X and {name} must be partitioned alike: X has {n_blocks} partitions, "
            f"{name} has {len(blocks)}. Build both from one dask DataFrame or rechunk."
        )
    return blocks


def describe(part, classify):
    """Rows, weight and (classifiers) labels of one partition, with a row per label."""
    X, y, w = part
    n = _num_samples(X)
    weight = float(n if w is None else np.sum(np.asarray(w, dtype=np.float64)))
    summary = {"n": n, "weight": weight, "labels": None, "counts": None}
    if n == 0:
        return summary
    rows = np.arange(min(n, 2))
    if classify:
        rows, summary["labels"], summary["counts"] = _label_rows(y)
    summary["X"], summary["y"] = _safe_indexing(X, rows), _safe_indexing(y, rows)
    return summary


def _label_rows(y):
    """The distinct labels (values, for 2-D y), their counts, and a row showing each."""
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    check_classification_targets(values)
    if values.dtype == object:
        unique_labels(values)  # refuses a mix of strings and numbers, as fit does
    labels, first, counts = np.unique(values.ravel(), return_index=True, return_counts=True)
    width = 1 if values.ndim == 1 else values.shape[1]
    return first // width, labels, counts


def merge(summaries):
    """One summary of all partitions: totals, labels, counts and sample rows."""
    present = [s for s in summaries if s["n"]]
    if not present:
        return None
    merged = dict(present[0])
    for summary in present[1:]:
        merged = _merge_two(merged, summary)
    return merged


def _merge_two(a, b):
    merged = dict(a, n=a["n"] + b["n"], weight=a["weight"] + b["weight"])
    if a["labels"] is None:
        return merged
    labels = np.concatenate([a["labels"], b["labels"]])
    unique, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    counts = np.zeros(len(unique), dtype=np.int64)
    np.add.at(counts, inverse, np.concatenate([a["counts"], b["counts"]]))
    merged.update(labels=unique, counts=counts)
    merged["X"] = _safe_indexing(_concat(a["X"], b["X"]), first)
    merged["y"] = _safe_indexing(_concat(a["y"], b["y"]), first)
    return merged


def _concat(a, b):
    if sp.issparse(a):
        return sp.vstack([a, b], format="csr")
    if hasattr(a, "iloc"):
        import pandas as pd

        return pd.concat([a, b])
    return np.concatenate([a, b])
