"""``OnnxPredictor``: scikit-learn's predict / predict_proba / score on onnxruntime."""

import os
import re
import warnings
from numbers import Integral

import numpy as np
import onnx
import onnxruntime as ort
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.metrics import accuracy_score, r2_score

# Providers whose outputs live in CUDA memory and are worth IO binding.
_CUDA_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider")

_NUMPY_TYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
    "tensor(string)": np.str_,
}


def default_providers():
    """CUDA first when this onnxruntime build has it, then the CPU."""
    if "CUDAExecutionProvider" in ort.get_available_providers():
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


class OnnxPredictor:
    """Run an exported model with onnxruntime, with scikit-learn's conventions.

    The first provider onnxruntime really uses is in ``provider_``: onnxruntime
    falls back to the CPU without error when CUDA cannot be loaded, so a
    ``RuntimeWarning`` says when the first requested provider was not obtained.
    Inputs are cast to the model's input type and run in batches of
    ``batch_size`` rows, so intermediate memory stays bounded (a ``np.memmap``
    is read a batch at a time). On CUDA, inputs and outputs go through IO
    binding. A model with one input per column (exported from a DataFrame)
    takes a DataFrame or a dict of columns, matched to the inputs by name.

    Parameters
    ----------
    model_or_path : onnx.ModelProto, bytes, str, os.PathLike or estimator
        An ONNX model, its serialized bytes, a path to an ``.onnx`` file, or a
        fitted sknet estimator / Pipeline (exported with ``to_onnx``).
    providers : list of str, default=None
        onnxruntime execution providers; CUDA first when available by default.
    batch_size : int, default=16384
        Rows per onnxruntime call.
    io_binding : bool, default=None
        Use IO binding; by default only on CUDA.
    session_options : onnxruntime.SessionOptions, default=None

    Attributes
    ----------
    session : onnxruntime.InferenceSession
    provider_ : str
        The provider onnxruntime really runs the model with.
    providers_ : list of str
        All providers of the session, in priority order.
    n_features_in_ : int or None
        Input width the model expects (None when the model leaves it free).
    feature_names_in_ : ndarray of str
        The input names of a model with one input per column (only then).

    Examples
    --------
    >>> import numpy as np
    >>> from sknet import MLPClassifier
    >>> from sknet.onnx import OnnxPredictor
    >>> X, y = np.random.RandomState(0).rand(20, 3), [0, 1] * 10
    >>> clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    >>> predictor = OnnxPredictor(clf, providers=["CPUExecutionProvider"])
    >>> predictor.provider_
    'CPUExecutionProvider'
    >>> bool((predictor.predict(X) == clf.predict(X)).all())
    True
    """

    def __init__(
        self,
        model_or_path,
        providers=None,
        *,
        batch_size=16384,
        io_binding=None,
        session_options=None,
    ):
        requested = list(providers) if providers is not None else default_providers()
        self.session = ort.InferenceSession(
            _serialized(model_or_path), session_options, providers=requested
        )
        self.providers_ = self.session.get_providers()
        self.provider_ = self.providers_[0]
        if self.provider_ != requested[0]:
            warnings.warn(
                f"onnxruntime could not use {requested[0]} and runs on {self.provider_}. "
                'For CUDA install onnxruntime-gpu (pip install "sknet[onnx-gpu]") without '
                "onnxruntime, and check that the CUDA and cuDNN libraries load.",
                RuntimeWarning,
                stacklevel=2,
            )
        self.batch_size = _check_batch_size(batch_size)
        on_cuda = self.provider_ in _CUDA_PROVIDERS
        self.io_binding = on_cuda if io_binding is None else bool(io_binding)
        self._device = "cuda" if on_cuda else "cpu"
        self._read_signature()

    def _read_signature(self):
        self._inputs = self.session.get_inputs()
        self._types = {i.name: _NUMPY_TYPES.get(i.type, np.float32) for i in self._inputs}
        widths = [i.shape[-1] if len(i.shape) == 2 else None for i in self._inputs]
        known = all(isinstance(width, int) for width in widths)
        self.n_features_in_ = sum(widths) if known else None
        if len(self._inputs) > 1:
            self.feature_names_in_ = np.array([i.name for i in self._inputs], dtype=object)
        self._outputs = self.session.get_outputs()
        self._proba = _probability_outputs(self._outputs)
        numeric = {t for t, dtype in _NUMPY_TYPES.items() if dtype is not np.str_}
        self._bindable = {o.name: o.type in numeric for o in [*self._inputs, *self._outputs]}

    @property
    def is_classifier(self):
        """True when the model has probabilities next to its labels."""
        return bool(self._proba)

    def predict(self, X):
        """Predicted labels (classifier) or values (regressor), as ``predict``.

        ``X`` is an array-like (N, n_features) for a model with one input; a
        model with one input per column (exported from a DataFrame) takes a
        DataFrame or a dict of columns, matched to the inputs by name. One
        regression target comes back as (N,), as scikit-learn returns it.
        """
        values = self._run(X, [self._outputs[0]])[0]
        one_target = not self.is_classifier and values.ndim == 2 and values.shape[1] == 1
        return values.ravel() if one_target else values

    def predict_proba(self, X):
        """Class probabilities (N, n_classes), as the estimator's ``predict_proba``.

        The same for every ``zipmap`` option of the export: a tensor, ZipMap's
        list of dicts, or one output per class (``zipmap="columns"``).
        """
        if not self.is_classifier:
            raise AttributeError("This ONNX model has no probabilities output.")
        columns = self._run(X, self._proba)
        return columns[0] if len(columns) == 1 else np.column_stack(columns)

    def score(self, X, y, sample_weight=None):
        """Accuracy for classifiers, R^2 for regressors, as scikit-learn's ``score``."""
        metric = accuracy_score if self.is_classifier else r2_score
        return metric(y, self.predict(X), sample_weight=sample_weight)

    def _run(self, X, outputs):
        """The ``outputs`` as arrays, computed ``batch_size`` rows at a time."""
        feeds = self._feeds(X)
        n_samples = len(next(iter(feeds.values())))
        if n_samples <= self.batch_size:  # one call: no result buffer, no copy
            batch = _batch(feeds, self._types, 0, None)
            return [_as_array(v) for v in self._run_batch(batch, outputs)]
        results = None
        for start in range(0, n_samples, self.batch_size):
            batch = _batch(feeds, self._types, start, start + self.batch_size)
            values = [_as_array(v) for v in self._run_batch(batch, outputs)]
            if results is None:
                results = [np.empty((n_samples,) + v.shape[1:], v.dtype) for v in values]
            for result, value in zip(results, values):
                result[start : start + len(value)] = value
        return results

    def _run_batch(self, feeds, outputs):
        # Strings never live on the GPU, and onnxruntime (1.32) crashes when it
        # copies a bound string output: those go through a plain run.
        names = [o.name for o in outputs]
        if not (self.io_binding and all(self._bindable[name] for name in [*feeds, *names])):
            return self.session.run(names, feeds)
        binding = self.session.io_binding()
        for name, values in feeds.items():
            binding.bind_cpu_input(name, values)
        for name in names:
            binding.bind_output(name, self._device)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()

    def _feeds(self, X):
        """{input name: 2-D array of its type}, checked; not copied where possible."""
        if sparse.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but dense data is required. Use "
                "'.toarray()' to convert to a dense numpy array."
            )
        columns = _columns(X, self._inputs)
        if columns is None:
            if len(self._inputs) > 1:
                names = ", ".join(i.name for i in self._inputs)
                raise ValueError(
                    f"This model has one input per column ({names}): pass a pandas "
                    "DataFrame or a dict of columns, not an array."
                )
            columns = {self._inputs[0].name: _as_2d(X)}
        self._check(columns)
        return columns

    def _check(self, feeds):
        """The right widths and at least one row, as scikit-learn checks them."""
        shapes = {name: values.shape for name, values in feeds.items()}
        if len({shape[0] for shape in shapes.values()}) > 1:
            raise ValueError(f"The columns have different lengths: {shapes}.")
        if next(iter(shapes.values()))[0] == 0:
            raise ValueError("Found array with 0 sample(s); a minimum of 1 is required.")
        width = sum(shape[1] for shape in shapes.values())
        if self.n_features_in_ is not None and width != self.n_features_in_:
            raise ValueError(
                f"X has {width} features, but OnnxPredictor is expecting "
                f"{self.n_features_in_} features as input."
            )


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def _probability_outputs(outputs):
    """The outputs holding probabilities: one tensor or ZipMap, or one per class."""
    if len(outputs) < 2:
        return []
    if outputs[1].type.startswith("seq") or len(outputs[1].shape) == 2:
        return [outputs[1]]
    floats = ("tensor(float)", "tensor(double)", "tensor(float16)")
    return [o for o in outputs[1:] if o.type in floats and len(o.shape) == 1]


def _onnx_name(column):
    """The input name skl2onnx gives a DataFrame column (C-style, no leading digit)."""
    name = re.sub(r"[^\w+]", "_", str(column))
    return "_" + name if re.match("^[0-9]", name) else name


def _columns(X, inputs):
    """{input name: column} from a dict or DataFrame whose columns are the inputs."""
    if not (isinstance(X, dict) or hasattr(X, "columns")):
        return None
    keys = {}
    for key in X.keys() if isinstance(X, dict) else X.columns:
        keys.setdefault(key, key)
        keys.setdefault(_onnx_name(key), key)
    missing = [i.name for i in inputs if i.name not in keys]
    if not missing:
        return {i.name: _column(X[keys[i.name]]) for i in inputs}
    if len(inputs) == 1 and not isinstance(X, dict):
        return None  # a DataFrame for a model with one input X
    raise ValueError(f"X has no column for the model's inputs {missing}.")


def _array(values):
    values = values.to_numpy() if hasattr(values, "to_numpy") else values
    return values if isinstance(values, np.ndarray) else np.asarray(values)


def _as_2d(X):
    """The one input's array: 2-D, as scikit-learn requires."""
    X = _array(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array, got an array of shape {X.shape}.")
    return X


def _column(values):
    """A column (1-D, or 2-D of width one) as the (N, 1) array an input takes."""
    values = _array(values)
    return values.reshape(-1, 1) if values.ndim == 1 else _as_2d(values)


def _batch(feeds, types, start, stop):
    """Rows ``start:stop`` of every input, contiguous and of the input's type."""
    return {
        name: np.ascontiguousarray(values[start:stop], types[name])
        for name, values in feeds.items()
    }


def _as_array(values):
    """Plain arrays; ZipMap's list of {class: probability} becomes (N, C)."""
    if isinstance(values, list):
        return np.array([list(row.values()) for row in values])
    return values


def _serialized(model):
    if isinstance(model, BaseEstimator):
        from ._export import to_onnx

        model = to_onnx(model)
    if isinstance(model, onnx.ModelProto):
        return model.SerializeToString()
    if isinstance(model, (str, os.PathLike)):
        return os.fspath(model)
    return model
