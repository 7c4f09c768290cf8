"""onnxruntime's CUDA kernel registrations for the operators sknet exports, as data.

Source: onnxruntime's ``docs/OperatorKernels.md`` (generated from the
registered kernels by ``tools/python/gen_opkernel_doc.py``), section
"Operators implemented by CUDAExecutionProvider", read at two commits of
github.com/microsoft/onnxruntime:

``"2023-12"``
    8f063305aacd23aadf77cda4c52e0592a02a7161, main between releases 1.16 and
    1.17 (opset-19 kernels registered, no opset-20 ones yet): the oldest
    registrations, which bound what onnxruntime-gpu >= 1.19 (the extras'
    floor) has, since releases only cap open ranges ("13+" becomes
    "[13, 20]") and add new ones.
``"2026"``
    001d12d2623fd411ce0f83d05abb5e82304a3389, main in 2026: after
    onnxruntime#26065 (Cast/Reshape 21) and #22713 (ArgMax 12/13, release
    1.21), before #27728 (Identity 21) and #28982 (Softplus 22).

A row is ``op  versions  snapshots  types``: versions ``N+`` (open) or
``N-M``; snapshots ``both`` or one of the two; types, the type constraint of
the node's first input, restricted to the types sknet graphs hold. Operators
that are absent (``DynamicQuantizeLinear``) have no CUDA kernel at all.

Matching rule, from ``KernelRegistry::VerifyKernelDef`` in onnxruntime's
``core/framework/kernel_registry.cc``: a node whose operator schema has
since-version ``v`` at the model's opset runs on CUDA only with a kernel
registered exactly ``v+``, or ``N-M`` with ``N <= v <= M``. An open ``6+``
registration does not serve a node of version 22.
"""

_ROWS = """
Abs         13+    both     double float float16 int32 int64 int8 uint64 uint8
Abs         6-12   both     double float float16 int32 int64 int8 uint64 uint8
Add         14+    2023-12  double float float16 int32 int64 uint64
Add         14+    2026     double float float16 int32 int64 int8 uint64 uint8
Add         13     both     double float float16 int32 int64 uint64
Add         7-12   both     double float float16 int32 int64 uint64
ArgMax      11     2023-12  double float float16
ArgMax      1-10   2023-12  double float float16
ArgMax      13+    2026     double float float16
ArgMax      12     2026     double float float16
ArgMax      1-11   2026     double float float16
Cast        19+    2023-12  bool double float float16 int32 int64 int8 uint64 uint8
Cast        23+    2026     bool double float float16 int32 int64 int8 uint64 uint8
Cast        21-22  2026     bool double float float16 int32 int64 int8 uint64 uint8
Cast        19-20  2026     bool double float float16 int32 int64 int8 uint64 uint8
Cast        13-18  both     bool double float float16 int32 int64 int8 uint64 uint8
Concat      13+    both     bool double float float16 int32 int64 int8 uint64 uint8
Concat      11-12  both     bool double float float16 int32 int64 int8 uint64 uint8
DequantizeLinear 19+   2023-12  int8 uint8
DequantizeLinear 21+   2026     int8 uint8
DequantizeLinear 19-20 2026     int8 uint8
DequantizeLinear 13-18 both     int8 uint8
DequantizeLinear 10-12 both     int8 uint8
Div         14+    2023-12  double float float16 int32 int64 uint64
Div         14+    2026     double float float16 int32 int64 int8 uint64 uint8
Div         13     both     double float float16 int32 int64 uint64
Div         7-12   both     double float float16 int32 int64 uint64
Elu         6+     both     double float float16
Erf         13+    both     double float float16
Erf         9-12   both     double float float16
Exp         13+    both     double float float16
Exp         6-12   both     double float float16
Gather      13+    both     bool double float float16 int32 int64 int8 uint64 uint8
Gather      11-12  both     bool double float float16 int32 int64 int8 uint64 uint8
Gather      1-10   both     bool double float float16 int32 int64 int8 uint64 uint8
Greater     13+    both     double float float16 int32 int64 uint64
Greater     9-12   both     double float float16 int32 int64 uint64
Greater     7-8    both     double float float16
Identity    19+    both     bool double float float16 int32 int64 int8 uint64 uint8
Identity    14-18  both     bool double float float16 int32 int64 int8 uint64 uint8
Identity    13     both     bool double float float16 int32 int64 int8 uint64 uint8
Identity    1-12   both     bool double float float16 int32 int64 int8 uint64 uint8
LeakyRelu   16+    both     double float float16
LeakyRelu   6-15   both     double float float16
Log         13+    both     double float float16
Log         6-12   both     double float float16
MatMul      13+    both     double float float16
MatMul      9-12   both     double float float16
MatMulInteger 10+  both     int8
Max         13+    both     double float float16 int32 int64 uint64
Max         12     both     double float float16 int32 int64 uint64
Max         6-11   both     double float float16
Min         13+    both     double float float16 int32 int64 uint64
Min         12     both     double float float16 int32 int64 uint64
Min         6-11   both     double float float16
Mul         14+    2023-12  double float float16 int32 int64 uint64
Mul         14+    2026     double float float16 int32 int64 int8 uint64 uint8
Mul         13     both     double float float16 int32 int64 uint64
Mul         7-12   both     double float float16 int32 int64 uint64
Neg         13+    both     double float float16 int32 int64 int8
Neg         6-12   both     double float float16 int32 int64 int8
QuantizeLinear 19+   2023-12  float float16
QuantizeLinear 21+   2026     float float16
QuantizeLinear 19-20 2026     float float16
QuantizeLinear 13-18 both     float
QuantizeLinear 10-12 both     float
Relu        14+    both     double float float16
Relu        13     both     double float float16
Relu        6-12   both     double float float16
Reshape     19+    2023-12  bool double float float16 int32 int64 int8 uint64 uint8
Reshape     23+    2026     bool double float float16 int32 int64 int8 uint64 uint8
Reshape     21-22  2026     bool double float float16 int32 int64 int8 uint64 uint8
Reshape     19-20  2026     bool double float float16 int32 int64 int8 uint64 uint8
Reshape     14-18  both     bool double float float16 int32 int64 int8 uint64 uint8
Reshape     13     both     bool double float float16 int32 int64 int8 uint64 uint8
Sigmoid     13+    both     double float float16
Sigmoid     6-12   both     double float float16
Softmax     13+    both     double float float16
Softmax     11-12  both     double float float16
Softplus    1+     both     double float float16
Sub         14+    2023-12  double float float16 int32 int64 uint64
Sub         14+    2026     double float float16 int32 int64 int8 uint64 uint8
Sub         13     both     double float float16 int32 int64 uint64
Sub         7-12   both     double float float16 int32 int64 uint64
Tanh        13+    both     double float float16
Tanh        6-12   both     double float float16
TopK        11+    both     double float float16 int32 int64
TopK        10     both     double float float16 int32 int64
"""

SNAPSHOTS = ("2023-12", "2026")


def _parse(rows):
    """{snapshot: {op: [(first, last or None, frozenset of types)]}}."""
    table = {snapshot: {} for snapshot in SNAPSHOTS}
    for row in rows.strip().splitlines():
        op, versions, snapshots, *types = row.split()
        first, _, last = versions.partition("-")
        if first.endswith("+"):
            span = (int(first[:-1]), None)
        else:
            span = (int(first), int(last or first))
        for snapshot in SNAPSHOTS if snapshots == "both" else [snapshots]:
            table[snapshot].setdefault(op, []).append((*span, frozenset(types)))
    return table


CUDA_KERNELS = _parse(_ROWS)
"""{snapshot: {op_type: [(first version, last version or None for "N+", types)]}}."""
