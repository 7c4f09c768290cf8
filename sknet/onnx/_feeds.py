"""How ``X`` feeds a model's inputs: one array, or one column per input."""

import re
from numbers import Integral

import numpy as np
from scipy import sparse

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


class Inputs:
    """A model's inputs (onnxruntime's ``session.get_inputs()``) and their feeding.

    ``n_features`` is the width the model expects (None when it leaves it
    free); ``names`` the input names.
    """

    def __init__(self, inputs):
        self.names = [i.name for i in inputs]
        self.types = {i.name: _NUMPY_TYPES.get(i.type, np.float32) for i in inputs}
        widths = [i.shape[-1] if len(i.shape) == 2 else None for i in inputs]
        known = all(isinstance(width, int) for width in widths)
        self.n_features = sum(widths) if known else None

    def columns(self, X):
        """{input name: 2-D array}, checked, neither copied nor cast."""
        if sparse.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but dense data is required. Use "
                "'.toarray()' to convert to a dense numpy array."
            )
        columns = _columns(X, self.names)
        if columns is None:
            if len(self.names) > 1:
                raise ValueError(
                    f"This model has one input per column ({', '.join(self.names)}): pass "
                    "a pandas DataFrame or a dict of columns, not an array."
                )
            columns = {self.names[0]: _as_2d(X)}
        self._check(columns)
        return columns

    def batch(self, columns, start=0, stop=None):
        """Rows ``start:stop`` of every input, contiguous and of the input's type."""
        return {
            name: np.ascontiguousarray(values[start:stop], self.types[name])
            for name, values in columns.items()
        }

    def _check(self, columns):
        """The right widths and at least one row, as scikit-learn checks them."""
        shapes = {name: values.shape for name, values in columns.items()}
        if len({shape[0] for shape in shapes.values()}) > 1:
            raise ValueError(f"The columns have different lengths: {shapes}.")
        if next(iter(shapes.values()))[0] == 0:
            raise ValueError("Found array with 0 sample(s); a minimum of 1 is required.")
        width = sum(shape[1] for shape in shapes.values())
        if self.n_features is not None and width != self.n_features:
            raise ValueError(
                f"X has {width} features, but OnnxPredictor is expecting "
                f"{self.n_features} features as input."
            )


def check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def _onnx_name(column):
    """The input name skl2onnx gives a DataFrame column (C-style, no leading digit)."""
    name = re.sub(r"[^\w+]", "_", str(column))
    return "_" + name if re.match("^[0-9]", name) else name


def _columns(X, names):
    """{input name: column} from a dict or DataFrame whose columns are the inputs."""
    if not (isinstance(X, dict) or hasattr(X, "columns")):
        return None
    keys = {}
    for key in X.keys() if isinstance(X, dict) else X.columns:
        keys.setdefault(key, key)
        keys.setdefault(_onnx_name(key), key)
    missing = [name for name in names if name not in keys]
    if not missing:
        return {name: _column(X[keys[name]]) for name in names}
    if len(names) == 1 and not isinstance(X, dict):
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
