"""``OnnxPredictor``: scikit-learn's predict / predict_proba / score on onnxruntime."""

import os
import warnings

import numpy as np
import onnx
import onnxruntime as ort
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
    binding.

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
        self.batch_size = int(batch_size)
        on_cuda = self.provider_ in _CUDA_PROVIDERS
        self.io_binding = on_cuda if io_binding is None else bool(io_binding)
        self._device = "cuda" if on_cuda else "cpu"
        self._read_signature()

    def _read_signature(self):
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ValueError(f"OnnxPredictor needs a model with one input, not {len(inputs)}.")
        self._input = inputs[0].name
        self._input_dtype = _NUMPY_TYPES.get(inputs[0].type, np.float32)
        width = inputs[0].shape[-1] if len(inputs[0].shape) == 2 else None
        self.n_features_in_ = width if isinstance(width, int) else None
        self._outputs = self.session.get_outputs()
        self._bindable = {o.name: o.type in _NUMPY_TYPES for o in self._outputs}

    @property
    def is_classifier(self):
        """True when the model has a probabilities output next to its labels."""
        return len(self._outputs) >= 2

    def predict(self, X):
        """Predicted labels (classifier) or values (regressor), as ``predict``."""
        return self._run(X, self._outputs[0])

    def predict_proba(self, X):
        """Class probabilities (N, n_classes), as the estimator's ``predict_proba``."""
        if not self.is_classifier:
            raise AttributeError("This ONNX model has no probabilities output.")
        return self._run(X, self._outputs[1])

    def score(self, X, y, sample_weight=None):
        """Accuracy for classifiers, R^2 for regressors, as scikit-learn's ``score``."""
        metric = accuracy_score if self.is_classifier else r2_score
        return metric(y, self.predict(X), sample_weight=sample_weight)

    def _run(self, X, output):
        X = self._check(X)
        if X.shape[0] <= self.batch_size:  # one call: no result buffer, no copy
            batch = np.ascontiguousarray(X, self._input_dtype)
            return _as_array(self._run_batch(batch, output))
        result = None
        for start in range(0, X.shape[0], self.batch_size):
            batch = np.ascontiguousarray(X[start : start + self.batch_size], self._input_dtype)
            values = _as_array(self._run_batch(batch, output))
            if result is None:
                result = np.empty((X.shape[0],) + values.shape[1:], values.dtype)
            result[start : start + len(values)] = values
        return result

    def _run_batch(self, batch, output):
        # Strings never live on the GPU, and onnxruntime (1.32) crashes when it
        # copies a bound string output: those go through a plain run.
        if not (self.io_binding and self._bindable[output.name]):
            return self.session.run([output.name], {self._input: batch})[0]
        binding = self.session.io_binding()
        binding.bind_cpu_input(self._input, batch)
        binding.bind_output(output.name, self._device)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]

    def _check(self, X):
        """A 2-D array-like of the right width; not copied, not cast here."""
        X = X.to_numpy() if hasattr(X, "to_numpy") else X
        X = X if isinstance(X, np.ndarray) else np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D array, got an array of shape {X.shape}.")
        if X.shape[0] == 0:
            raise ValueError("Found array with 0 sample(s); a minimum of 1 is required.")
        if self.n_features_in_ is not None and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but OnnxPredictor is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X


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
