"""
=================================
Deploy a pipeline with ONNX
=================================

Export a fitted pipeline (scaler and network) to one ONNX file, run it with
onnxruntime through :class:`~sknet.onnx.OnnxPredictor`, check its predictions
against the pipeline's, shrink it with float16 or int8 weights, and time it.
Needs the ``onnx`` extra: ``pip install "sknet[onnx]"`` (``sknet[onnx-gpu]``
on a CUDA machine).
"""

# %%
# Fit and export
# --------------
# ``to_onnx`` takes a sample row: its dtype (float32 here) is the model's
# input type.
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.onnx import OnnxPredictor, to_onnx

X, y = load_digits(return_X_y=True)
X = X.astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
pipeline = make_pipeline(
    StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), max_iter=15, random_state=0)
).fit(X_train, y_train)

onx = to_onnx(pipeline, X_train[:1])
print("inputs: ", [i.name for i in onx.graph.input])
print("outputs:", [o.name for o in onx.graph.output])

# %%
# Run it with onnxruntime
# -----------------------
# ``OnnxPredictor`` takes the model (or its file's path) and offers
# scikit-learn's ``predict``, ``predict_proba`` and ``score``. By default it
# asks for CUDA first when the installed onnxruntime has it; ``provider_``
# tells which provider really runs the model.
predictor = OnnxPredictor(onx)
print("provider:", predictor.provider_)
same = np.mean(predictor.predict(X_test) == pipeline.predict(X_test))
gap = np.abs(predictor.predict_proba(X_test) - pipeline.predict_proba(X_test)).max()
print(f"labels agree on {same:.1%}; max probability difference {gap:.1e}")
print(
    f"accuracy: pipeline {pipeline.score(X_test, y_test):.4f}, "
    f"onnx {predictor.score(X_test, y_test):.4f}"
)

# %%
# Smaller models: float16 and int8
# --------------------------------
# ``compress="float16"`` halves the hidden weights and computes the hidden
# layers in half precision (for GPUs; the output layer and head stay float32),
# after checking on the rows given that no value leaves float16's range;
# ``compress="int8"`` quantizes the matrix weights to 8 bits (for
# CPUs). Accuracy barely moves on this data.
import matplotlib.pyplot as plt

variants = {
    "float32": onx,
    "float16": to_onnx(pipeline, X_train, compress="float16"),
    "int8": to_onnx(pipeline, X_train[:1], compress="int8"),
}


def median_ms(predict, X, repeats=20):
    predict(X)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


rows = []
for name, model in variants.items():
    runner = OnnxPredictor(model, providers=["CPUExecutionProvider"])
    size = len(model.SerializeToString()) / 1024
    rows.append((name, size, runner.score(X_test, y_test), median_ms(runner.predict, X_test)))
rows.append(
    ("pipeline", np.nan, pipeline.score(X_test, y_test), median_ms(pipeline.predict, X_test))
)
print(f"{'model':<9} {'KiB':>7} {'accuracy':>9} {'ms / 450 rows':>14}")
for name, size, accuracy, ms in rows:
    print(f"{name:<9} {size:>7.1f} {accuracy:>9.4f} {ms:>14.3f}")

fig, ax = plt.subplots(figsize=(6, 3))
ax.barh([r[0] for r in rows], [r[3] for r in rows])
ax.set_xlabel(f"median latency for {len(X_test)} rows (ms), CPU")
fig.tight_layout()

# %%
# Save, ship, load
# ----------------
# The file is all a server needs: onnxruntime, not scikit-learn or sknet.
#
# .. code-block:: python
#
#     with open("digits.onnx", "wb") as f:
#         f.write(onx.SerializeToString())
#
#     # on the server
#     import onnxruntime as ort
#     session = ort.InferenceSession("digits.onnx", providers=["CUDAExecutionProvider",
#                                                             "CPUExecutionProvider"])
#     labels, probabilities = session.run(None, {"X": batch.astype("float32")})
