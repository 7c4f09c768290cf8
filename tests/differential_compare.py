"""Compare two records of one case (see ``differential_cases``), mismatch by mismatch.

``Comparison`` walks the calls of a case in order and yields a ``Mismatch``
for everything the two implementations did differently: the outcome of a call
(succeeded, or which exception), its warning categories, its fitted attributes
(names, shapes and dtypes, the facts such as ``classes_``, and the numbers),
what ``verbose`` printed, and the outputs of the prediction methods.
"""

import numbers
import re
from dataclasses import dataclass

import numpy as np
from sklearn import neural_network
from sklearn.exceptions import ConvergenceWarning

# Fitted attributes compared exactly, always.
FACTS = [
    "classes_",
    "n_features_in_",
    "feature_names_in_",
    "n_outputs_",
    "n_layers_",
    "out_activation_",
]
# Fitted attributes whose numbers agree only when the algorithms do.
VALUES = [
    "coefs_",
    "intercepts_",
    "loss_curve_",
    "loss_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "n_iter_",
    "t_",
]
LOSSES = {"loss_", "loss_curve_", "best_loss_"}
# (rtol, atol) by compute dtype. float32's rounding (6e-8) grows over a few
# hundred large steps to 1e-4; L-BFGS's line search turns last-bit
# differences in the gradient into different steps: about 1e-12 usually,
# 1e-9 on rare ill-conditioned fits.
TOLERANCE = {
    "float64": (1e-9, 1e-12),
    "float32": (1e-3, 1e-4),
    "float64 lbfgs": (1e-7, 1e-10),
    "float32 lbfgs": (1e-3, 1e-4),
}


@dataclass
class Mismatch:
    """One way two records differ.

    ``aspect`` is "outcome", "warnings", "attributes", "values", "outputs" or
    "verbose"; ``step`` the index of the call (-1: the outputs after the last
    call); ``name`` the attribute or method.
    """

    aspect: str
    step: int
    name: object
    ours: object
    theirs: object


def signature(value):
    """Kind, shape and dtype of a value, without its numbers.

    A list of scalars (a loss curve) is reduced to the kinds of its elements:
    its length is a number, compared with the values.
    """
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, value.dtype.str)
    if isinstance(value, list | tuple):
        inner = [signature(v) for v in value]
        if any(isinstance(v, np.ndarray) for v in value):
            return (type(value).__name__, tuple(inner))
        return (type(value).__name__, tuple(sorted(set(map(str, inner)))))
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "real"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def close(a, b, tolerance="float64"):
    """Equal labels and integers; reals equal within a ``TOLERANCE``."""
    rtol, atol = TOLERANCE[str(tolerance)]
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        same_kind = isinstance(a, list | tuple) and isinstance(b, list | tuple)
        return same_kind and len(a) == len(b) and all(close(x, y, tolerance) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(a, b))


def same_error(ours, theirs):
    """Both succeeded, or ours raised scikit-learn's exception type (or a subclass)."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return isinstance(ours, type(theirs))


def warnings_differ(ours, theirs, trusted=True):
    """Different warning categories; NumPy's RuntimeWarning only counts from sknet.

    Untrusted numbers (a deliberate difference upstream) may converge at a
    different epoch, so ConvergenceWarning is then left out.
    """
    dropped = {RuntimeWarning} | (set() if trusted else {ConvergenceWarning})
    names = [sorted(c.__name__ for c in cats if c not in dropped) for cats in (ours, theirs)]
    return names[0] != names[1] or (RuntimeWarning in ours and RuntimeWarning not in theirs)


DEFAULTS = {
    "classifier": neural_network.MLPClassifier().get_params(),
    "regressor": neural_network.MLPRegressor().get_params(),
}


def params_at(case, step):
    """The parameters in force during call ``step`` (-1: the last)."""
    params = {**DEFAULTS[case.kind], **case.params}
    for s in case.steps[: step + 1 if step >= 0 else None]:
        params.update(s.changes)
    return params


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def starts_with(line, prefix, tolerance):
    """``line`` starts with ``prefix``: the same words, numbers equal to print precision.

    The printed losses carry 8 decimals; the two implementations' sums agree
    to the last bits of the dtype, which can change the last printed digit.
    """
    words, numbers = _NUMBER.split(prefix), _NUMBER.findall(prefix)
    head = line[: len(prefix)]
    if _NUMBER.split(head) != words or len(_NUMBER.findall(head)) != len(numbers):
        return False
    rtol, atol = TOLERANCE[tolerance]
    pairs = zip(_NUMBER.findall(head), numbers)
    return all(np.isclose(float(a), float(b), rtol=rtol, atol=atol + 1e-8) for a, b in pairs)


def compute_dtype(record):
    """The dtype sknet computed in, from its last fitted weights."""
    for step in reversed(record.steps):
        if step.attributes and "coefs_" in step.attributes:
            return step.attributes["coefs_"][0].dtype
    return np.dtype(np.float64)


class Comparison:
    """Yields the mismatches of two records in the order they arose.

    Numbers are compared while ``trusted``; the caller clears it when a
    deliberate difference explains a mismatch in numbers whose consequences
    reach further (later epochs, predictions, convergence).
    """

    def __init__(self, case, ours, theirs, added):
        self.case, self.ours, self.theirs = case, ours, theirs
        self.added = added  # solver -> the fitted attributes sknet adds
        self.trusted = True
        self.dtype = compute_dtype(ours)

    def solver(self, i):
        return params_at(self.case, i)["solver"]

    def tolerance(self, i):
        """The ``TOLERANCE`` of the numbers after call ``i`` (-1: the last)."""
        last = i if i >= 0 else len(self.case.steps) - 1
        lbfgs = any(self.solver(k) == "lbfgs" for k in range(last + 1))
        return f"{self.dtype}{' lbfgs' if lbfgs else ''}"

    def __iter__(self):
        for i, (a, b) in enumerate(zip(self.ours.steps, self.theirs.steps)):
            if not same_error(a.error, b.error):
                if self.trusted or not _one_side_diverged(a.error, b.error):
                    yield Mismatch("outcome", i, self.case.steps[i].method, a.error, b.error)
                return
            if a.error is None:
                yield from self._attributes(i, a.attributes, b.attributes)
                yield from self._verbose(i, a.stdout, b.stdout)
            if warnings_differ(a.warnings, b.warnings, self.trusted):
                yield Mismatch("warnings", i, "", a.messages, b.messages)
            if a.error is not None:
                return
        for method in sorted(set(self.ours.outputs) | set(self.theirs.outputs)):
            yield from self._output(method)

    def _attributes(self, i, ours, theirs):
        unexpected = (set(ours) - set(theirs) - self.added[self.solver(i)]) | (
            set(theirs) - set(ours)
        )
        if unexpected:
            yield Mismatch("attributes", i, sorted(unexpected), sorted(ours), sorted(theirs))
        common = set(ours) & set(theirs)
        for name in sorted(common):
            if signature(ours[name]) != signature(theirs[name]):
                yield Mismatch(
                    "attributes", i, name, signature(ours[name]), signature(theirs[name])
                )
        for name in FACTS:
            if name in common and not close(ours[name], theirs[name]):
                yield Mismatch("attributes", i, name, ours[name], theirs[name])
        tolerance = self.tolerance(i)
        for name in VALUES:
            if self.trusted and name in common and not close(ours[name], theirs[name], tolerance):
                yield Mismatch("values", i, name, ours[name], theirs[name])

    def _verbose(self, i, ours, theirs):
        """scikit-learn's lines, each the start of sknet's line.

        Not for lbfgs: scikit-learn has SciPy print from compiled code, which
        ``redirect_stdout`` does not see.
        """
        if self.solver(i) == "lbfgs" or not self.trusted:
            return
        ours_lines, theirs_lines = ours.splitlines(), theirs.splitlines()
        if len(ours_lines) != len(theirs_lines) or not all(
            starts_with(a, b, self.tolerance(i)) for a, b in zip(ours_lines, theirs_lines)
        ):
            yield Mismatch("verbose", i, "stdout", ours, theirs)

    def _output(self, method):
        if method not in self.ours.outputs or method not in self.theirs.outputs:
            has = (method in self.ours.outputs, method in self.theirs.outputs)
            yield Mismatch("outputs", -1, method, *has)
            return
        ours, theirs = self.ours.outputs[method], self.theirs.outputs[method]
        a, b = ours.value, theirs.value
        error_a = a if isinstance(a, Exception) else None
        error_b = b if isinstance(b, Exception) else None
        if not same_error(error_a, error_b):
            if self.trusted or not _overflowed(error_a or error_b):
                yield Mismatch("outputs", -1, method, a, b)
            return
        if warnings_differ(ours.warnings, theirs.warnings):
            yield Mismatch("warnings", -1, method, ours.messages, theirs.messages)
        if error_a is not None:
            return
        if signature(a) != signature(b):
            yield Mismatch("outputs", -1, method, signature(a), signature(b))
        elif self.trusted and not close(a, b, self.tolerance(-1)):
            yield Mismatch("values", -1, method, a, b)


def _overflowed(error):
    """Scoring refused predictions that overflowed: a matter of numbers."""
    return isinstance(error, ValueError) and ("infinity" in str(error) or "NaN" in str(error))


def _one_side_diverged(ours, theirs):
    """One library's training left the finite numbers and the other's did not:
    in untrusted (chaotic) runs, where rounding decides the numbers, that is
    rounding too."""

    def diverged(error):
        return isinstance(error, ValueError) and "non-finite" in str(error)

    return (ours is None and diverged(theirs)) or (theirs is None and diverged(ours))
