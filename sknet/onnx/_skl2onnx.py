"""sknet's networks as skl2onnx operators, through its documented extension point.

``register`` calls ``skl2onnx.update_registered_converter`` with a shape
calculator and a converter per estimator class; the converter writes the graph
of ``_graph`` into skl2onnx's container. After that, ``skl2onnx.to_onnx``
converts sknet estimators alone or inside any Pipeline / composite it knows.
"""

import numpy as np
from onnx import TensorProto, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
    UInt64TensorType,
    guess_numpy_type,
)
from skl2onnx.common.utils import check_input_and_output_numbers

from ._graph import (
    NetworkSpec,
    cast,
    compute_dtype,
    io_dtype,
    label_values,
    write_classifier,
    write_regressor,
)

# Options of the converters. zipmap / output_class_labels are handled by
# skl2onnx's classifier parser, nocl and float16 by the graph.
CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [True, False],
    "output_class_labels": [False, True],
    "float16": [False, True],
}
REGRESSOR_OPTIONS = {"float16": [False, True]}

# Estimator classes registered by ``register``, so that composites can be
# searched for sknet networks.
REGISTERED = set()


class ContainerWriter:
    """The graph writer of ``_graph`` on top of skl2onnx's scope and container."""

    def __init__(self, scope, container, dtype):
        self.scope = scope
        self.container = container
        self.dtype = np.dtype(dtype)

    def constant(self, hint, value):
        name = self.scope.get_unique_variable_name(hint)
        value = np.asarray(value)
        if value.dtype == object:
            strings = [s.encode("utf-8") for s in value.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(value.shape), strings)
        else:
            self.container.add_initializer(name, None, None, numpy_helper.from_array(value, name))
        return name

    def node(self, op_type, inputs, output=None, n_outputs=1, **attributes):
        if output is None:
            names = [self.scope.get_unique_variable_name(op_type.lower()) for _ in range(n_outputs)]
            output = names[0] if n_outputs == 1 else names
        name = self.scope.get_unique_operator_name("Sknet" + op_type)
        self.container.add_node(op_type, inputs, output, name=name, **attributes)
        return output

    def retyped(self, dtype):
        """This writer, computing in ``dtype``."""
        return ContainerWriter(self.scope, self.container, dtype)


def _input_dtype(operator):
    """The input's dtype; with one input per column, the widest float among them."""
    dtypes = [np.dtype(guess_numpy_type(variable.type)) for variable in operator.inputs]
    floats = [dtype for dtype in dtypes if dtype in (np.float32, np.float64)]
    return np.result_type(*floats) if floats else dtypes[0]


def _network_input(writer, operator):
    """The input in the compute dtype; several inputs (columns) are concatenated."""
    names = [
        cast(writer, v.full_name, guess_numpy_type(v.type), writer.dtype) for v in operator.inputs
    ]
    return names[0] if len(names) == 1 else writer.node("Concat", names, axis=1)


def _writer(scope, operator, container, spec, options):
    """A writer that computes in float16 when asked, else as ``compute_dtype`` says."""
    dtype = np.float16 if options["float16"] else compute_dtype(_input_dtype(operator), spec)
    return ContainerWriter(scope, container, dtype)


def _tensor_type(dtype):
    return {np.float32: FloatTensorType, np.float64: DoubleTensorType}[np.dtype(dtype).type]


def convert_classifier(scope, operator, container):
    """skl2onnx converter of an sknet classifier: outputs label, probabilities."""
    spec = NetworkSpec.from_estimator(operator.raw_operator)
    options = container.get_options(operator.raw_operator, dict(nocl=False, float16=False))
    writer = _writer(scope, operator, container, spec, options)
    label, probabilities = operator.outputs[0].full_name, operator.outputs[1].full_name
    out_dtype = guess_numpy_type(operator.outputs[1].type)
    X = _network_input(writer, operator)
    write_classifier(writer, X, spec, label, probabilities, out_dtype, options["nocl"])


def convert_regressor(scope, operator, container):
    """skl2onnx converter of an sknet regressor: one output (N, n_outputs)."""
    spec = NetworkSpec.from_estimator(operator.raw_operator)
    options = container.get_options(operator.raw_operator, dict(float16=False))
    writer = _writer(scope, operator, container, spec, options)
    output = operator.outputs[0]
    X = _network_input(writer, operator)
    write_regressor(writer, X, spec, output.full_name, guess_numpy_type(output.type))


def _label_type(spec, nocl, N):
    if spec.task == "multilabel":
        return Int64TensorType([N, spec.n_outputs])
    if nocl:
        return Int64TensorType([N])
    dtype = label_values(spec.classes).dtype
    types = {"i": Int64TensorType, "u": UInt64TensorType, "f": DoubleTensorType}
    return types.get(dtype.kind, StringTensorType)([N])


def classifier_shapes(operator):
    """Shape calculator: label (N,) or (N, n_labels), probabilities (N, C).

    Probabilities are of the input's float type, float for other inputs.
    """
    check_input_and_output_numbers(operator, input_count_range=[1, None], output_count_range=2)
    spec = NetworkSpec.from_estimator(operator.raw_operator)
    nocl = operator.scope_inst.get_options(operator.raw_operator, dict(nocl=False))["nocl"]
    N = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = _label_type(spec, nocl, N)
    dtype = io_dtype(_input_dtype(operator))
    operator.outputs[1].type = _tensor_type(dtype)([N, spec.n_columns])


def regressor_shapes(operator):
    """Shape calculator: (N, n_outputs), (N, 1) for one target as every skl2onnx regressor.

    skl2onnx's composites (stacking, voting) concatenate their regressors'
    outputs along axis 1, so a 1-D output would break them.
    """
    check_input_and_output_numbers(operator, input_count_range=[1, None], output_count_range=1)
    spec = NetworkSpec.from_estimator(operator.raw_operator)
    N = operator.inputs[0].get_first_dimension()
    dtype = io_dtype(_input_dtype(operator))
    operator.outputs[0].type = _tensor_type(dtype)([N, spec.n_outputs])


def register(estimator_class):
    """Register an MLP estimator class with skl2onnx (classifier or regressor).

    ``sknet.MLPClassifier`` and ``sknet.MLPRegressor`` are registered when
    ``sknet.onnx`` is imported; this is for subclasses and look-alikes (any
    estimator with the same fitted attributes).

    Parameters
    ----------
    estimator_class : type
        A classifier or regressor class, constructible without arguments.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sknet import MLPClassifier
    >>> from sknet.onnx import register
    >>> class MyClassifier(MLPClassifier):
    ...     pass
    >>> register(MyClassifier)
    >>> X = np.random.RandomState(0).rand(20, 3).astype(np.float32)
    >>> model = MyClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, [0, 1] * 10)
    >>> onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    >>> [o.name for o in onx.graph.output]
    ['label', 'probabilities']
    """
    from sklearn.base import is_classifier

    alias = f"Sknet:{estimator_class.__module__}.{estimator_class.__qualname__}"
    if is_classifier(estimator_class()):
        update_registered_converter(
            estimator_class,
            alias,
            classifier_shapes,
            convert_classifier,
            options=CLASSIFIER_OPTIONS,
        )
    else:
        update_registered_converter(
            estimator_class,
            alias,
            regressor_shapes,
            convert_regressor,
            options=REGRESSOR_OPTIONS,
        )
    REGISTERED.add(estimator_class)
