"""``OnnxPredictor``: scikit-learn's predict / predict_proba / score on onnxruntime."""

import numpy as np
from sklearn.metrics import accuracy_score, r2_score

from ._feeds import Inputs, check_batch_size
from ._session import create_session, load_model


class OnnxPredictor:
    """Run an exported model with onnxruntime, with scikit-learn's conventions.

    The provider onnxruntime really runs the model on is read back from the
    session into ``provider_``: onnxruntime falls back to the CPU without
    error when CUDA cannot be loaded, and runs single nodes without a CUDA
    kernel on the CPU; either gets a ``RuntimeWarning``. Inputs are cast to
    the model's input types and run in batches of ``batch_size`` rows, so
    intermediate memory stays bounded (a ``np.memmap`` is read a batch at a
    time). A model with one input per column (exported from a DataFrame)
    takes a DataFrame or a dict of columns, matched to the inputs by name.

    Parameters
    ----------
    model_or_path : onnx.ModelProto, bytes, str, os.PathLike or estimator
        An ONNX model, its serialized bytes, a path to an ``.onnx`` file, or a
        fitted sknet estimator / Pipeline (exported with ``to_onnx``).
    providers : list of str or (str, dict), default=None
        onnxruntime execution providers, as names or ``(name, options)``
        pairs. By default CUDA first when the installed onnxruntime has it,
        except for int8 models, which run on the CPU (dynamic int8 has no CUDA
        kernels; see the compression guide).
    batch_size : int, default=16384
        Rows per onnxruntime call.
    device_id : int, default=0
        The GPU of the CUDA provider, unless its options name one.
    tf32 : bool, default=False
        Let the CUDA provider compute float32 products in TF32 (faster on
        Ampere and newer GPUs, but agreeing with float32 to about 1e-3, not
        1e-6); off for parity with ``predict``. Its options' ``use_tf32``
        wins.
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
        device_id=0,
        tf32=False,
        session_options=None,
    ):
        self.batch_size = check_batch_size(batch_size)
        model = load_model(model_or_path)
        self.session, self.provider_ = create_session(
            model, providers, device_id, tf32, session_options
        )
        self.providers_ = self.session.get_providers()
        self._inputs = Inputs(self.session.get_inputs())
        self.n_features_in_ = self._inputs.n_features
        if len(self._inputs.names) > 1:
            self.feature_names_in_ = np.array(self._inputs.names, dtype=object)
        self._outputs = self.session.get_outputs()
        self._proba = _probability_outputs(self._outputs)

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

    def feeds(self, X):
        """The input feed onnxruntime's ``session.run`` takes for ``X``: {name: array}."""
        return self._inputs.batch(self._inputs.columns(X))

    def _run(self, X, outputs):
        """The ``outputs`` as arrays, computed ``batch_size`` rows at a time."""
        names = [output.name for output in outputs]
        columns = self._inputs.columns(X)
        n_samples = len(next(iter(columns.values())))
        if n_samples <= self.batch_size:  # one call: no result buffer, no copy
            values = self.session.run(names, self._inputs.batch(columns))
            return [_as_array(v) for v in values]
        results = None
        for start in range(0, n_samples, self.batch_size):
            batch = self._inputs.batch(columns, start, start + self.batch_size)
            values = [_as_array(v) for v in self.session.run(names, batch)]
            if results is None:
                results = [np.empty((n_samples,) + v.shape[1:], v.dtype) for v in values]
            for result, value in zip(results, values):
                result[start : start + len(value)] = value
        return results


def _probability_outputs(outputs):
    """The outputs holding probabilities: one tensor or ZipMap, or one per class."""
    if len(outputs) < 2:
        return []
    if outputs[1].type.startswith("seq") or len(outputs[1].shape) == 2:
        return [outputs[1]]
    floats = ("tensor(float)", "tensor(double)", "tensor(float16)")
    return [o for o in outputs[1:] if o.type in floats and len(o.shape) == 1]


def _as_array(values):
    """Plain arrays; ZipMap's list of {class: probability} becomes (N, C)."""
    if isinstance(values, list):
        return np.array([list(row.values()) for row in values])
    return values
