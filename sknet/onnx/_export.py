"""``to_onnx``: export a fitted sknet estimator, or a composite holding one."""

import numpy as np
import onnx
import skl2onnx
from skl2onnx.algebra.type_helper import guess_initial_types
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._compress import COMPRESSIONS, quantize_int8
from ._float16 import check_float16_range
from ._graph import label_values
from ._placement import DEFAULT_OPSET
from ._skl2onnx import REGISTERED

_FLOAT_TYPES = {np.dtype(np.float32): FloatTensorType, np.dtype(np.float64): DoubleTensorType}


def to_onnx(
    model,
    X=None,
    *,
    dtype=None,
    initial_types=None,
    target_opset=None,
    options=None,
    compress=None,
):
    """Export a fitted sknet estimator or a Pipeline holding one to ONNX.

    Classifiers output ``label`` (class values; an int64 indicator matrix for
    multilabel targets) and ``probabilities`` (N, n_classes) as plain tensors;
    regressors output ``variable``, shaped as ``predict`` returns it. The batch
    dimension is dynamic. The sknet part of the graph uses core ONNX operators
    only, all of which onnxruntime runs on CUDA.

    Parameters
    ----------
    model : estimator
        A fitted ``sknet.MLPClassifier`` / ``sknet.MLPRegressor``, or a
        scikit-learn Pipeline or other composite skl2onnx converts that holds one.
    X : array-like or DataFrame, default=None
        A sample row or more; it fixes the input types, as in skl2onnx. An
        array gives one input ``X`` of its dtype. A DataFrame gives one input
        per column, named after the column and typed from its dtype (strings,
        integers, booleans, floats), for pipelines that start with a
        ``ColumnTransformer``. Without ``X`` the input is ``X`` of the dtype
        the network was fitted in.
    dtype : {numpy.float32, numpy.float64}, default=None
        Type of the float input (of every float column of a DataFrame),
        overriding the one of ``X``. For float16 weights use ``compress``.
    initial_types : list of (str, skl2onnx type), default=None
        skl2onnx's explicit input names and types, e.g.
        ``[("num", FloatTensorType([None, 1])), ("color", StringTensorType([None, 1]))]``;
        they override the types ``X`` would give.
    target_opset : int, default=None
        ONNX opset; ``DEFAULT_OPSET`` (20) by default, the highest at which
        onnxruntime's CUDA provider has a kernel for every node sknet writes
        (see :func:`cuda_fallbacks`).
    options : dict, default=None
        skl2onnx converter options, keyed by class or ``id(estimator)``. sknet
        classifiers accept ``zipmap`` (False here unless asked for), ``nocl``
        (labels as class indices), ``output_class_labels`` and ``float16``.
    compress : {None, "float16", "int8"}, default=None
        ``"float16"`` stores the weights in float16 and computes the hidden
        layers in float16, the output layer and head in float32, with inputs
        and outputs kept in float32/float64 (for GPUs); a ``UserWarning``
        says when a value of the float16 layers would exceed float16's range
        on ``X`` (pass the training data). ``"int8"`` applies onnxruntime's
        dynamic int8 quantization to the network's MatMul weights (for CPUs;
        needs a float32 input); see :func:`quantize_int8` for static QDQ.

    Returns
    -------
    onnx.ModelProto

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknet import MLPClassifier
    >>> from sknet.onnx import to_onnx
    >>> X, y = np.random.RandomState(0).rand(20, 3), ["no", "yes"] * 10
    >>> network = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5)
    >>> model = make_pipeline(StandardScaler(), network).fit(X, y)
    >>> onx = to_onnx(model, X[:1].astype(np.float32))
    >>> [(o.name, o.type.tensor_type.elem_type) for o in onx.graph.output]  # string, float
    [('label', 8), ('probabilities', 1)]
    """
    if compress not in COMPRESSIONS:
        raise ValueError(f"compress must be one of {COMPRESSIONS}, got {compress!r}.")
    check_is_fitted(model)
    networks = find_networks(model)
    if not networks:
        raise TypeError(f"{type(model).__name__} holds no sknet estimator; use skl2onnx.to_onnx.")
    options = _options(model, networks, options, compress)
    _check_label_options(networks, options)
    if initial_types is None:
        initial_types = _input_types(model, X, _check_dtype(dtype), networks[0])
    onx = skl2onnx.to_onnx(
        model,
        initial_types=initial_types,
        target_opset=DEFAULT_OPSET if target_opset is None else target_opset,
        options=options,
    )
    _check_zipmap_type(onx)
    if compress == "float16":
        check_float16_range(onx, X)
    return quantize_int8(onx) if compress == "int8" else onx


def find_networks(model):
    """The sknet estimators in ``model`` (itself, pipeline steps, sub-estimators)."""
    found, seen, todo = [], set(), [model]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if type(obj) in REGISTERED:
            found.append(obj)
        elif isinstance(obj, BaseEstimator):
            todo.extend(vars(obj).values())
        elif isinstance(obj, (list, tuple)):
            todo.extend(obj)
        elif isinstance(obj, dict):
            todo.extend(obj.values())
    return found


def _check_dtype(dtype):
    if dtype is None or np.dtype(dtype) in (np.float32, np.float64):
        return dtype
    raise ValueError(
        f"dtype must be numpy.float32 or numpy.float64, got {np.dtype(dtype).name}. "
        'For float16 weights and compute (float32 inputs and outputs) pass compress="float16".'
    )


def _input_types(model, X, dtype, network):
    """skl2onnx's ``initial_types``: from ``X`` (an array or DataFrame), else fitted."""
    n_features = getattr(model, "n_features_in_", None)
    if X is None:
        if n_features is None:
            raise ValueError(f"Pass a sample X: {type(model).__name__} has no n_features_in_.")
        tensor = _FLOAT_TYPES[np.dtype(dtype or network.coefs_[0].dtype)]
        return [("X", tensor([None, n_features]))]
    if _is_dataframe(X):
        _check_columns(model, X)
        return _column_types(X, dtype)
    X = np.asarray(X) if dtype is None else np.asarray(X, dtype=dtype)
    X = X.reshape(1, -1) if X.ndim == 1 else X
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(model).__name__} "
            f"is expecting {n_features} features as input."
        )
    if X.dtype.kind == "f":
        _check_dtype(X.dtype)
    return guess_initial_types(X[:1])


def _is_dataframe(X):
    """A DataFrame whose columns have string names (skl2onnx's input names)."""
    return hasattr(X, "columns") and all(isinstance(c, str) for c in X.columns)


def _check_columns(model, X):
    """The DataFrame's columns are the ones seen at fit, when the model knows them."""
    names = getattr(model, "feature_names_in_", None)
    if names is not None and list(X.columns) != list(names):
        raise ValueError(
            f"The feature names should match those that were passed during fit: X has "
            f"columns {list(X.columns)}, {type(model).__name__} was fitted on {list(names)}."
        )


def _column_types(X, dtype):
    """One input per column, typed from its dtype; float columns as ``dtype``."""
    X = X.iloc[:1]
    floats = [c for c in X.columns if X[c].dtype.kind == "f"]
    for column in floats:
        _check_dtype(dtype or X[column].dtype)
    if dtype is not None:
        X = X.astype(dict.fromkeys(floats, dtype))
    return guess_initial_types(X)


def _options(model, networks, options, compress):
    """skl2onnx options: no ZipMap, float16 when asked, CUDA-able scalers; user's win.

    skl2onnx writes a float32 StandardScaler as ``ai.onnx.ml.Scaler``, which
    has no CUDA kernel; ``div="div"`` makes it Sub and Div.
    """
    merged = {StandardScaler: {"div": "div"}}
    for network in networks:
        default = {"zipmap": False} if is_classifier(network) else {}
        merged[type(network)] = {**default, **({"float16": True} if compress == "float16" else {})}
    final = _final_step(model)
    if is_classifier(final) and type(final) not in REGISTERED:  # e.g. a VotingClassifier
        merged[id(final)] = {"zipmap": False}
    for key, value in (options or {}).items():
        merged[key] = {**merged.get(key, {}), **value}
    return merged


def _final_step(model):
    """The estimator whose outputs are the model's: a pipeline's last step."""
    while isinstance(model, Pipeline):
        model = model.steps[-1][1]
    return model


def _check_label_options(networks, options):
    """Refuse what ONNX cannot hold for a classifier's labels, with the remedy."""
    for network in networks:
        chosen = {**options.get(type(network), {}), **options.get(id(network), {})}
        if not hasattr(network, "classes_"):
            continue
        if label_values(network.classes_).dtype == np.uint64 and (
            chosen.get("zipmap") in (True, "columns") or chosen.get("output_class_labels")
        ):
            raise ValueError(
                "Class labels beyond int64's range can only be exported as a uint64 label "
                "tensor: ZipMap and output_class_labels take int64 or string labels. "
                "Export with zipmap=False and output_class_labels=False."
            )
        if chosen.get("zipmap") == "columns" and chosen.get("nocl"):
            raise ValueError(
                'skl2onnx cannot name zipmap="columns" outputs after class indices: '
                "with nocl=True use zipmap=False."
            )


def _check_zipmap_type(onx):
    """ONNX's ZipMap takes float probabilities only; a double one makes an invalid model."""
    for output in onx.graph.output:
        if output.type.HasField("sequence_type"):
            value = output.type.sequence_type.elem_type.map_type.value_type
            if value.tensor_type.elem_type == onnx.TensorProto.DOUBLE:
                raise ValueError(
                    "zipmap=True needs float32 probabilities (ONNX's ZipMap takes float "
                    "only): export with dtype=np.float32, or with zipmap=False."
                )
