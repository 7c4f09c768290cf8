"""Which output each row explains, from the ``target`` argument of attributions."""

from numbers import Integral

import numpy as np
from sklearn.base import is_classifier

from ._network import predicted_index


class Targets:
    """Which output each row explains: ``(index, sign)`` pairs, one per explained output.

    ``sign = -1`` explains the negative class of a binary classifier
    (``1 - p``); ``pairs`` is None for "the predicted class of each row".
    """

    def __init__(self, pairs, extra_axis):
        self.pairs, self.extra_axis = pairs, extra_axis

    @classmethod
    def of(cls, estimator, net, target, n):
        multilabel = net.out_activation == "logistic" and net.n_outputs > 1
        if is_classifier(estimator) and not multilabel:
            if target is None:
                return cls(None, False)
            codes = _class_codes(estimator.classes_, target, n)
            if net.out_activation == "softmax":
                return cls([(codes, np.ones(n))], False)
            return cls([(np.zeros(n, dtype=np.intp), 2.0 * codes - 1)], False)
        if target is None:
            every = [(np.full(n, k), np.ones(n)) for k in range(net.n_outputs)]
            return cls(every, net.n_outputs > 1 or multilabel)
        if multilabel:
            return cls([(_class_codes(estimator.classes_, target, n), np.ones(n))], False)
        return cls([(_output_indices(target, net.n_outputs, n), np.ones(n))], False)

    def at(self, net, Z, rows):
        """The pairs of the rows ``rows``, whose output pre-activations are ``Z``."""
        if self.pairs is None:
            return [predicted_index(net, Z)]
        return [(index[rows], sign[rows]) for index, sign in self.pairs]


def _per_row(target, n):
    values = np.asarray(target)
    if values.ndim == 0:
        return np.full(n, values.item(), dtype=object)
    if values.shape != (n,):
        raise ValueError(
            f"target must be one value or one per row of X ({n}); got shape {values.shape}."
        )
    return values


def _class_codes(classes, target, n):
    """Positions in ``classes`` of the labels in ``target``."""
    values = _per_row(target, n)
    lookup = {label: i for i, label in enumerate(classes.tolist())}
    unique, inverse = np.unique(values.astype(object), return_inverse=True)
    unknown = [label for label in unique.tolist() if label not in lookup]
    if unknown:
        raise ValueError(
            f"target {unknown} is not among the classes_ {classes.tolist()} of the model."
        )
    return np.array([lookup[label] for label in unique.tolist()], dtype=np.intp)[inverse]


def _output_indices(target, n_outputs, n):
    values = _per_row(target, n)
    if not all(isinstance(v, Integral) and 0 <= v < n_outputs for v in np.unique(values)):
        raise ValueError(
            f"target must be an output index in [0, {n_outputs}) (or one per row); got {target!r}."
        )
    return values.astype(np.intp)
