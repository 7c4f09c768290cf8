"""``to_onnx``: export a fitted sknet estimator, or a composite holding one."""

import numpy as np
import skl2onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.base import BaseEstimator, is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._compress import COMPRESSIONS, quantize_int8
from ._skl2onnx import REGISTERED


def to_onnx(model, X=None, *, dtype=None, target_opset=None, options=None, compress=None):
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
    X : array-like of shape (n_samples, n_features) or (n_features,), default=None
        A sample row or more; its dtype fixes the input type, as in skl2onnx.
        Without it the input has the dtype the network was fitted in.
    dtype : {numpy.float32, numpy.float64}, default=None
        Input type, overriding the one of ``X``.
    target_opset : int, default=None
        ONNX opset; skl2onnx's latest tested one by default.
    options : dict, default=None
        skl2onnx converter options, keyed by class or ``id(estimator)``. sknet
        classifiers accept ``zipmap`` (False here unless asked for), ``nocl``
        (labels as class indices), ``output_class_labels`` and ``float16``.
    compress : {None, "float16", "int8"}, default=None
        ``"float16"`` stores the weights and computes in float16, with inputs
        and outputs kept in float32/float64 (for GPUs). ``"int8"`` applies
        onnxruntime's dynamic int8 quantization to the network's MatMul
        weights (for CPUs; needs a float32 input).

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
    inputs = _input_spec(model, X, dtype, networks[0])
    onx = skl2onnx.to_onnx(
        model,
        target_opset=target_opset,
        options=_options(model, networks, options, compress),
        **inputs,
    )
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


def _input_spec(model, X, dtype, network):
    """``X`` or ``initial_types`` for skl2onnx, with the feature count checked."""
    n_features = getattr(model, "n_features_in_", None)
    if X is None:
        if n_features is None:
            raise ValueError(f"Pass a sample X: {type(model).__name__} has no n_features_in_.")
        dtype = np.dtype(dtype or network.coefs_[0].dtype)
        tensor = {np.float32: FloatTensorType, np.float64: DoubleTensorType}[dtype.type]
        return {"initial_types": [("X", tensor([None, n_features]))]}
    X = np.asarray(X) if dtype is None else np.asarray(X, dtype=dtype)
    X = X.reshape(1, -1) if X.ndim == 1 else X
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(model).__name__} "
            f"is expecting {n_features} features as input."
        )
    return {"X": X[:1]}


def _options(model, networks, options, compress):
    """skl2onnx options: no ZipMap by default, float16 when asked; user's win."""
    merged = {}
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
