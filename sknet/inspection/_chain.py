"""Preprocessing steps as affine maps, for the chain rule back to the user's features.

A fitted step that is an affine map of its input, ``x -> x @ M + c``, is read
from its fitted attributes (``mean_``, ``scale_``, ``components_``, ...), so
its Jacobian ``M`` is exact. Steps compose: a Pipeline of affine steps, or a
ColumnTransformer of them (with passthrough and drop), is one affine map.
Any other step is refused with an error that names it.

Each map also carries ``zero``: a point it sends to zero (the training mean
for a StandardScaler or a PCA), or None when there is none. It gives the
default baseline: the input that the network sees as all zeros.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)


@dataclass(frozen=True)
class Affine:
    """The map ``x -> x @ M + c`` and a point ``zero`` it sends to 0 (or None)."""

    M: np.ndarray  # (n_in, n_out)
    c: np.ndarray  # (n_out,)
    zero: np.ndarray | None  # (n_in,)

    def __call__(self, X):
        return X @ self.M + self.c

    def preimage(self, z):
        """A point mapped to ``z``, the nearest to ``zero``; None if none is."""
        reference = self.zero if self.zero is not None else np.zeros(self.M.shape[0])
        return _solve(self, reference, z)

    def then(self, other):
        """This map followed by ``other``."""
        zero = None if other.zero is None else self.preimage(other.zero)
        return Affine(self.M @ other.M, self.c @ other.M + other.c, zero)


def identity(n):
    return Affine(np.eye(n), np.zeros(n), np.zeros(n))


def _solve(affine, reference, z):
    """``reference`` moved the least so that ``affine`` maps it to ``z``."""
    x = reference + np.linalg.lstsq(affine.M.T, z - affine(reference), rcond=None)[0]
    size = 1 + np.abs(affine.c).max(initial=0.0) + np.abs(z).max(initial=0.0)
    tol = np.sqrt(np.finfo(np.float64).eps) * size
    return x if np.abs(affine(x) - z).max(initial=0.0) <= tol else None


def affine_map(step, n_in, where="step"):
    """The :class:`Affine` map of a fitted preprocessing step.

    ``where`` names the step in the error raised for a step that is not an
    affine map of its input.
    """
    if step is None or step == "passthrough" or _is_identity(step):
        return identity(n_in)
    if isinstance(step, Pipeline):
        return _pipeline(step, n_in, where)
    if isinstance(step, ColumnTransformer):
        return _column_transformer(step, where)
    reader = _READERS.get(type(step))
    reason = "it is not an affine map of its input"
    if isinstance(step, MinMaxScaler) and step.clip:
        reader, reason = None, "clip=True makes it not affine"
    if reader is None:
        raise ValueError(
            f"Cannot carry attributions back to the original features through {where} "
            f"({type(step).__name__}): {reason}. Supported steps are StandardScaler, "
            "MinMaxScaler, MaxAbsScaler, RobustScaler, PCA, and Pipelines or "
            "ColumnTransformers of them (with 'passthrough' and 'drop'). Pass "
            "space='network' to explain the network's own input features instead."
        )
    return reader(step)


def _is_identity(step):
    return type(step) is FunctionTransformer and step.func is None


def _pipeline(pipeline, n_in, where):
    result = identity(n_in)
    for name, step in pipeline.steps:
        result = result.then(affine_map(step, result.M.shape[1], f"{where} {name!r}"))
    return result


def _column_transformer(ct, where):
    n_in = ct.n_features_in_
    n_out = max((s.stop for s in ct.output_indices_.values()), default=0)
    M, c, zero = np.zeros((n_in, n_out)), np.zeros(n_out), np.zeros(n_in)
    for name, transformer, columns in ct.transformers_:
        outputs = ct.output_indices_[name]
        if transformer == "drop" or outputs.stop == outputs.start:
            continue
        inputs = _column_indices(ct, columns)
        part = affine_map(transformer, len(inputs), f"{where} {name!r}")
        M[np.ix_(inputs, np.arange(n_out)[outputs])] = part.M
        c[outputs] = part.c
        zero[inputs] = 0.0 if part.zero is None else part.zero
    whole = Affine(M, c, None)
    return Affine(M, c, _solve(whole, zero, np.zeros(n_out)))


def _column_indices(ct, columns):
    """Positions of a fitted ColumnTransformer's column selection."""
    positions = np.arange(ct.n_features_in_)
    names = getattr(ct, "feature_names_in_", None)

    def position(key):
        if isinstance(key, str):
            return int(np.flatnonzero(names == key)[0])
        return key

    if isinstance(columns, slice):
        stop = position(columns.stop)
        if isinstance(columns.stop, str):
            stop += 1  # a slice of names includes its end, as in pandas
        columns = slice(position(columns.start), stop, columns.step)
    elif isinstance(columns, str):
        columns = [position(columns)]
    else:
        columns = [position(key) for key in np.atleast_1d(columns)]
        if len(columns) and isinstance(columns[0], (bool, np.bool_)):
            columns = np.asarray(columns, dtype=bool)
    return positions[columns]


def _diagonal(scale, offset, zero):
    """The map ``x -> x * scale + offset``."""
    return Affine(np.diag(scale), np.asarray(offset, dtype=float), zero)


def _centered(center, scale, n):
    """The map ``x -> (x - center) / scale`` (either may be None)."""
    center = np.zeros(n) if center is None else np.asarray(center, dtype=float)
    inverse = np.ones(n) if scale is None else 1.0 / np.asarray(scale, dtype=float)
    return _diagonal(inverse, -center * inverse, center)


def _standard_scaler(step):
    mean, scale = step.mean_ if step.with_mean else None, step.scale_ if step.with_std else None
    return _centered(mean, scale, step.n_features_in_)


def _robust_scaler(step):
    center = step.center_ if step.with_centering else None
    scale = step.scale_ if step.with_scaling else None
    return _centered(center, scale, step.n_features_in_)


def _max_abs_scaler(step):
    return _centered(None, step.scale_, step.n_features_in_)


def _min_max_scaler(step):
    return _diagonal(step.scale_, step.min_, -step.min_ / step.scale_)


def _pca(step):
    M = step.components_.T.astype(float)
    if step.whiten:
        # As PCA.transform does: variances clipped at eps.
        scale = np.sqrt(step.explained_variance_)
        scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
        M = M / scale
    return Affine(M, -step.mean_ @ M, np.asarray(step.mean_, dtype=float))


_READERS = {
    StandardScaler: _standard_scaler,
    RobustScaler: _robust_scaler,
    MaxAbsScaler: _max_abs_scaler,
    MinMaxScaler: _min_max_scaler,
    PCA: _pca,
}
"""Per supported step type, the reader of its affine map from fitted attributes."""
