"""Cases for the differential tests: what to fit, and a runner that records what happened.

A ``Case`` is an estimator kind, constructor parameters and a sequence of calls
(``fit``, warm-started ``fit``, ``partial_fit``, ``set_params`` after fitting)
on small data in one container. ``run`` plays a case on one implementation
(sknet's or scikit-learn's) and records, per call, the exception, the warning
categories, what ``verbose`` printed and every public fitted attribute; then
the prediction methods' outputs. ``test_differential`` compares two records.
"""

import contextlib
import copy
import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import strategies as st
from sklearn import neural_network

import sknet

ESTIMATORS = {  # kind -> (sknet's, scikit-learn's)
    "classifier": (sknet.MLPClassifier, neural_network.MLPClassifier),
    "regressor": (sknet.MLPRegressor, neural_network.MLPRegressor),
}

# Kinds of y, data containers and sample weights; the common ones repeated so
# they come up more often than the ones that make scikit-learn refuse to fit.
LABELS = {
    "classifier": ["int", "str", "bool", "float", "multilabel"] * 2
    + ["column", "single", "continuous"],
    "regressor": ["float", "multioutput", "poisson"] * 2 + ["int", "column"],
}
CONTAINERS = ["ndarray", "list", "DataFrame", "csr", "csc"]
WEIGHTS = [None, None, None, "positive", "positive", "counts", "negative"]
# Parameters a warm start or partial_fit may change between calls.
CHANGES = {
    "learning_rate_init": [0.001, 0.05, 0.3],
    "momentum": [0.0, 0.5, 0.9],
    "alpha": [0.0, 1e-4, 0.1],
    "batch_size": ["auto", 1, 4, 50],
    "max_iter": [1, 3, 6],
    "tol": [0.0, 1e-4, 0.5],
    "learning_rate": ["constant", "invscaling", "adaptive"],
    "shuffle": [True, False],
    "beta_1": [0.5, 0.9],
    "n_iter_no_change": [1, 10],
    "solver": ["sgd", "adam"],
    "activation": ["identity", "logistic", "tanh", "relu"],
    "early_stopping": [True, False],
}


@dataclass
class Inputs:
    """One call's data: ``X``, ``y``, ``sample_weight``, partial_fit's ``classes``."""

    X: object
    y: object
    sample_weight: object = None
    classes: object = None


@dataclass
class Step:
    """``set_params(**changes)`` then ``method`` on ``inputs[data]``."""

    method: str
    changes: dict = field(default_factory=dict)
    data: int = 0


@dataclass
class Case:
    seed: int  # -1 for a case written by hand
    kind: str
    params: dict
    steps: list
    inputs: list
    X_test: object
    y_test: object
    label: str
    container: str
    dtype: type
    weights: object = None
    bad: str = None  # what was spoiled on purpose, e.g. "predict: nan"
    recipe: tuple = None  # make_case(*recipe) makes it again


@dataclass
class StepRecord:
    error: BaseException = None
    warnings: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    stdout: str = ""
    attributes: dict = None


@dataclass
class Output:
    value: object  # or the exception raised
    warnings: list
    messages: list


@dataclass
class Record:
    """What one implementation did with a case."""

    steps: list
    outputs: dict = field(default_factory=dict)  # method -> Output

    @property
    def failed(self):
        return self.steps[-1].error is not None


# ------------------------------------------------------------------ data


def labels(kind, label, n, rng, X):
    """Targets of the given kind; every class of a classification appears."""
    if kind == "regressor":
        y = X.sum(axis=1) + 0.1 * rng.normal(size=n)
        return {
            "float": y,
            "int": np.round(2 * y).astype(int),
            "column": y.reshape(-1, 1),
            "multioutput": np.column_stack([y, X[:, 0] - y]),
            "poisson": rng.poisson(np.exp(y / 3)).astype(float),
        }[label]
    codes = np.arange(n) % 3 if label != "bool" else np.arange(n) % 2
    codes = rng.permutation(codes)
    return {
        "int": np.array([-1, 3, 7])[codes],
        "str": np.array(["ant", "bee", "cat"])[codes],
        "bool": codes.astype(bool),
        "float": np.array([-1.0, 3.0, 7.0])[codes],
        "continuous": np.array([0.5, 1.5, 2.5])[codes],
        "column": codes.reshape(-1, 1),
        "multilabel": (rng.uniform(size=(n, 3)) > 0.5).astype(int),
        "single": np.full(n, 4),
    }[label]


def container(X, y, kind, dtype):
    """``X`` and ``y`` as the user would pass them."""
    if X.dtype.kind == "f":
        with np.errstate(over="ignore"):  # 1e200 as float32 is inf, as for the user
            X = X.astype(dtype)
    if kind == "list":
        return X.tolist(), y.tolist()
    if kind == "DataFrame":
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        if y.ndim == 1:
            return frame, pd.Series(y, name="y")
        return frame, pd.DataFrame(y, columns=[f"y{i}" for i in range(y.shape[1])])
    if kind in ("csr", "csc") and X.dtype.kind in "fc":
        return getattr(sp, f"{kind}_matrix")(X), y
    return X, y


def sample_weight(kind, n, rng):
    if kind is None:
        return None
    if kind == "positive":
        return rng.uniform(0.5, 2.0, size=n)
    if kind == "counts":
        return rng.randint(0, 3, size=n).astype(float)
    return rng.uniform(-1.0, 2.0, size=n)


def make_inputs(kind, label, container_kind, dtype, shape, rng, weights, spoil=None):
    """Data of one call; ``spoil(X, y, w) -> (X, y, w)`` makes it bad on purpose."""
    X = rng.normal(size=shape)
    if container_kind in ("csr", "csc"):
        X[rng.uniform(size=X.shape) < 0.4] = 0.0
    y = labels(kind, label, shape[0], rng, X)
    w = sample_weight(weights, shape[0], rng)
    if spoil is not None:
        X, y, w = spoil(X, y, w)
    if X.ndim != 2:
        return Inputs(X, y, w), y
    X_c, y_c = container(X, y, container_kind, dtype)
    return Inputs(X_c, y_c, w), y


# Bad data, as spoilers of good data: (X, y, w) -> (X, y, w).
BAD_FIT = {
    "nan": lambda X, y, w: (np.where(X[0, 0] == X, np.nan, X), y, w),
    "inf": lambda X, y, w: (np.where(X[0, 0] == X, -np.inf, X), y, w),
    "empty": lambda X, y, w: (X[:0], y[:0], None if w is None else w[:0]),
    "one_row": lambda X, y, w: (X[:1], y[:1], None if w is None else w[:1]),
    "1-D X": lambda X, y, w: (X[:, 0], y, w),
    "3-D X": lambda X, y, w: (X[:, :, None], y, w),
    "strings": lambda X, y, w: (X.astype(str), y, w),
    "complex": lambda X, y, w: (X + 1j, y, w),
    "huge": lambda X, y, w: (X * 1e200, y, w),
    "wider": lambda X, y, w: (np.hstack([X, X[:, :1]]), y, w),
    "y nan": lambda X, y, w: (X, _first_nan(y), w),
    "y too short": lambda X, y, w: (X, y[:-1], w),
    "weights too short": lambda X, y, w: (X, y, np.ones(len(X) - 1)),
    "weights nan": lambda X, y, w: (X, y, np.where(np.arange(len(X)) == 0, np.nan, 1.0)),
    "weights zero": lambda X, y, w: (X, y, np.zeros(len(X))),
    "weights 2-D": lambda X, y, w: (X, y, np.ones((len(X), 2))),
}


def _first_nan(y):
    y = y.astype(object if y.dtype.kind in "UO" else float)
    y[0] = np.nan
    return y


BAD_PREDICT = {
    "nan": lambda X: np.where(X[0, 0] == X, np.nan, X),
    "inf": lambda X: np.where(X[0, 0] == X, np.inf, X),
    "empty": lambda X: X[:0],
    "wider": lambda X: np.hstack([X, X[:, :1]]),
    "narrower": lambda X: X[:, :-1],
    "1-D": lambda X: X[0],
    "beyond float32": lambda X: X * 1e39,  # given as float64, like "float64"
    "float64": lambda X: X,  # to a model fitted on float32
    "strings": lambda X: X.astype(str),
}
# Parameter values scikit-learn's MLP refuses or that make no sense.
ABSURD = [
    ("hidden_layer_sizes", 0),
    ("hidden_layer_sizes", (0,)),
    ("hidden_layer_sizes", (3, -1)),
    ("hidden_layer_sizes", (2.5,)),
    ("hidden_layer_sizes", np.array([[2, 2]])),
    ("hidden_layer_sizes", "3"),
    ("hidden_layer_sizes", (None,)),
    ("alpha", -1.0),
    ("batch_size", 0),
    ("batch_size", 2.5),
    ("learning_rate_init", 0.0),
    ("learning_rate_init", 1e6),
    ("max_iter", 0),
    ("max_iter", 2.0),
    ("momentum", 1.5),
    ("validation_fraction", 1.0),
    ("validation_fraction", 0.0),
    ("beta_1", 1.0),
    ("beta_2", -0.1),
    ("epsilon", 0.0),
    ("n_iter_no_change", 0),
    ("tol", -1.0),
    ("power_t", -1.0),
    ("max_fun", 0),
    ("activation", "no such activation"),
    ("solver", "newton"),
    ("learning_rate", "fast"),
    ("shuffle", "yes"),
    ("random_state", "seed"),
    ("early_stopping", None),
    ("loss", "no such loss"),
]


# ------------------------------------------------------------ strategies


def cases(sequence="fit", bad=None):
    """Hypothesis strategy of cases whose calls follow ``sequence``.

    ``sequence`` is "fit", "warm" (warm-started refits), "partial" (partial_fit
    calls) or "set_params" (a parameter changed after fitting); ``bad`` makes
    it a bad-input case: "fit" spoils the training data, "predict" the data
    predicted, "params" one parameter. Hypothesis draws a seed and the case
    follows from it (``make_case``): drawing each choice through hypothesis
    clustered its examples (24 distinct solver/label/container/dtype
    combinations in 100 examples), a seeded generator spreads them.
    """
    return st.integers(0, 2**32 - 1).map(lambda seed: make_case(seed, sequence, bad))


class Chooser:
    """Choices from a seeded generator: ``pick`` one of a list, ``integer``."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)

    def pick(self, options):
        return options[self.rng.randint(len(options))]

    def integer(self, low, high):
        return int(self.rng.randint(low, high + 1))


def parameters(choose, kind, n_samples):
    return dict(
        hidden_layer_sizes=choose.pick([(), (3,), (3, 2), 2]),
        activation=choose.pick(["identity", "logistic", "tanh", "relu"]),
        solver=choose.pick(["lbfgs", "sgd", "adam"]),
        alpha=choose.pick([0.0, 1e-4, 0.1]),
        batch_size=choose.pick(["auto", 1, 3, n_samples // 2, n_samples + 2]),
        learning_rate=choose.pick(["constant", "invscaling", "adaptive"]),
        learning_rate_init=choose.pick([0.001, 0.01, 0.2]),
        power_t=choose.pick([0.5, 0.25]),
        max_iter=choose.integer(1, 8),
        shuffle=choose.pick([True, False]),
        random_state=choose.integer(0, 3),
        tol=choose.pick([1e-4, 0.0, 0.3]),
        momentum=choose.pick([0.0, 0.5, 0.9]),
        nesterovs_momentum=choose.pick([True, False]),
        early_stopping=choose.pick([True, False]),
        validation_fraction=choose.pick([0.2, 0.5, 0.2, 0.5, 0.1]),
        beta_1=choose.pick([0.9, 0.5]),
        n_iter_no_change=choose.pick([1, 2, 10]),
        verbose=choose.pick([False] * 5 + [True]),
    )


def make_case(seed, sequence="fit", bad=None):
    """The case of ``seed``: replay a failing example with its seed."""
    choose = Chooser(seed)
    kind = choose.pick(["classifier", "regressor"])
    # Bad parameters come with good data; the other cases with any data.
    label = choose.pick(LABELS[kind] if bad != "params" else LABELS[kind][:3])
    container_kind = choose.pick(CONTAINERS)
    dtype = choose.pick([np.float64, np.float32])
    shape = (choose.integer(8, 24), choose.integer(2, 3))
    weight_kind = choose.pick(WEIGHTS if bad != "params" else [None, "positive"])
    params = parameters(choose, kind, shape[0])
    if kind == "regressor":
        params["loss"] = "poisson" if label == "poisson" else "squared_error"
    if sequence == "partial":  # mostly what partial_fit supports
        params["early_stopping"] &= choose.pick([False] * 9 + [True])
        if params["solver"] == "lbfgs" and choose.pick([True] * 4 + [False]):
            params["solver"] = choose.pick(["sgd", "adam"])
    steps = _steps(choose, sequence)
    spoil_fit = choose.pick(sorted(BAD_FIT)) if bad == "fit" else None
    inputs, ys = [], []
    for i in range(len(steps)):
        spoil = BAD_FIT[spoil_fit] if spoil_fit and i == len(steps) - 1 else None
        one, y = make_inputs(
            kind, label, container_kind, dtype, shape, choose.rng, weight_kind, spoil
        )
        inputs.append(one)
        ys.append(y)
    if sequence == "partial" and kind == "classifier" and choose.pick([True] * 9 + [False]):
        classes = np.unique([v for y in ys for v in np.ravel(y) if v == v])  # not NaN
        inputs[0].classes = np.arange(3) if label == "multilabel" else classes
    fewer_classes = kind == "classifier" and label not in ("multilabel", "single")
    if sequence == "warm" and fewer_classes and choose.pick([True] + [False] * 4):
        inputs[1] = _subset(inputs[0], np.ravel(ys[0]) != np.ravel(ys[0])[0])
    spoiled = f"fit: {spoil_fit}" if spoil_fit else None
    if bad == "params":
        name, value = choose.pick(ABSURD)
        if name != "loss" or kind == "regressor":
            params[name] = value
            spoiled = f"params: {name}={value!r}"
    spoil_test = choose.pick(sorted(BAD_PREDICT)) if bad == "predict" else None
    test_dtype = np.float64 if spoil_test in ("beyond float32", "float64") else dtype
    test, _ = make_inputs(
        kind, label, container_kind, test_dtype, (5, shape[1]), choose.rng, None, _on_X(spoil_test)
    )
    spoiled = f"predict: {spoil_test}" if spoil_test else spoiled
    return Case(
        seed,
        kind,
        params,
        steps,
        inputs,
        test.X,
        test.y,
        label,
        container_kind,
        dtype,
        weight_kind,
        spoiled,
        (seed, sequence, bad),
    )


def _on_X(name):
    return None if name is None else (lambda X, y, w: (BAD_PREDICT[name](X), y, w))


def _steps(choose, sequence):
    """The calls of a sequence; call ``i`` uses data set 0 or ``i``."""
    if sequence == "fit":
        return [Step("fit")]
    if sequence == "set_params":
        change = choose.pick(
            [{"hidden_layer_sizes": (4,)}, {"hidden_layer_sizes": ()}, {"activation": "tanh"}]
        )
        return [Step("fit"), Step("set_params", change)]
    method = "fit" if sequence == "warm" else "partial_fit"
    steps = [Step(method)]
    for i in range(1, choose.integer(2, 3)):
        names = [choose.pick(sorted(CHANGES)) for _ in range(choose.integer(0, 2))]
        changes = {name: choose.pick(CHANGES[name]) for name in names}
        if sequence == "warm":
            changes["warm_start"] = True
        steps.append(Step(method, changes, choose.pick([0, i])))
    return steps


def _subset(inputs, keep):
    def take(a):
        if a is None:
            return None
        if isinstance(a, list):
            return [v for v, k in zip(a, keep) if k]
        if isinstance(a, pd.DataFrame | pd.Series):
            return a[keep]
        return a[np.flatnonzero(keep)]

    return Inputs(take(inputs.X), take(inputs.y), take(inputs.sample_weight))


# ---------------------------------------------------------------- runner


@contextlib.contextmanager
def recording():
    """Collect warning categories and stdout of the block into a dict."""
    seen = {"warnings": [], "messages": [], "stdout": ""}
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        yield seen
    seen["warnings"] = sorted({w.category for w in caught}, key=lambda c: c.__name__)
    seen["messages"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    seen["stdout"] = out.getvalue()


def fitted_attributes(estimator):
    return {
        name: copy.deepcopy(value)
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
    }


def run(Estimator, case):
    """Play ``case`` on ``Estimator``; a ``Record`` of everything observable."""
    estimator = Estimator(**case.params)
    record = Record(steps=[])
    for step in case.steps:
        estimator.set_params(**step.changes)
        result = StepRecord()
        with recording() as seen:
            try:
                _call(estimator, step, copy.deepcopy(case.inputs[step.data]))
            except Exception as exc:  # every exception is an observation here
                result.error = exc
        result.warnings, result.messages = seen["warnings"], seen["messages"]
        result.stdout = seen["stdout"]
        if result.error is None:
            result.attributes = fitted_attributes(estimator)
        record.steps.append(result)
        if result.error is not None:
            return record
    for method in ("predict", "predict_proba", "predict_log_proba", "score"):
        if hasattr(estimator, method):
            record.outputs[method] = _output(estimator, method, case)
    return record


def _call(estimator, step, inputs):
    if step.method == "set_params":
        return
    kwargs = {"sample_weight": inputs.sample_weight}
    if inputs.classes is not None:
        kwargs["classes"] = inputs.classes
    getattr(estimator, step.method)(inputs.X, inputs.y, **kwargs)


def _output(estimator, method, case):
    args = (copy.deepcopy(case.X_test),)
    if method == "score":
        args += (copy.deepcopy(case.y_test),)
    with recording() as seen:
        try:
            value = getattr(estimator, method)(*args)
        except Exception as exc:
            value = exc
    return Output(value, seen["warnings"], seen["messages"])


def handmade(kind, params, X, y, steps=None, sample_weight=None, X_test=None, **labels):
    """A case written by hand, every call on the same data.

    ``labels`` overrides the case's descriptions the tests read: ``label``,
    ``weights``, ``bad``.
    """
    X_test = X[:5] if X_test is None else X_test
    dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
    return Case(
        seed=-1,
        kind=kind,
        params=params,
        steps=steps or [Step("fit")],
        inputs=[Inputs(X, y, sample_weight)],
        X_test=X_test,
        y_test=y[:5],
        label=labels.get("label", "handmade"),
        container="ndarray",
        dtype=dtype,
        weights=labels.get("weights"),
        bad=labels.get("bad"),
    )
