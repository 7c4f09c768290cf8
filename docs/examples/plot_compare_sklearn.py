"""
=====================================================
sknet next to scikit-learn's MLP and skl2onnx
=====================================================

The same network, same parameters and data, fitted by
:class:`sklearn.neural_network.MLPClassifier` and by
:class:`sknet.MLPClassifier`: fit time per epoch and held-out accuracy, in
float64 and in sknet's float32. Then the ONNX side: skl2onnx converts
scikit-learn's network, ``sknet.onnx.to_onnx`` sknet's; both files run in
onnxruntime. The numbers are measured on the machine that built this page.
"""

# %%
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
params = dict(hidden_layer_sizes=(128,), max_iter=8, random_state=0)

models = {
    "scikit-learn": SklearnMLP(**params),
    "sknet float64": MLPClassifier(**params),
    "sknet float32": MLPClassifier(dtype="float32", **params),
}
times = {}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    times[name] = (time.perf_counter() - start) / model.n_iter_
    print(
        f"{name:<14} {1e3 * times[name]:7.1f} ms/epoch   accuracy {model.score(X_test, y_test):.4f}"
    )

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(times), [1e3 * t for t in times.values()])
ax.set_xlabel("fit time per epoch (ms), digits, 128 hidden units")
fig.tight_layout()

# %%
# ONNX: skl2onnx for scikit-learn's network, sknet.onnx for sknet's
# ------------------------------------------------------------------
# skl2onnx converts scikit-learn's own MLP; ``sknet.onnx`` registers a
# converter for sknet's networks with skl2onnx, so pipelines mixing both
# convert in one call.
import skl2onnx

from sknet.onnx import OnnxPredictor, to_onnx

X32 = X_test.astype(np.float32)
sk_onnx = skl2onnx.to_onnx(models["scikit-learn"], X32[:1], options={"zipmap": False})
sknet_onnx = to_onnx(models["sknet float32"], X32[:1])
for name, onx, model in [
    ("skl2onnx (scikit-learn MLP)", sk_onnx, models["scikit-learn"]),
    ("sknet.onnx (sknet MLP)", sknet_onnx, models["sknet float32"]),
]:
    predictor = OnnxPredictor(onx, providers=["CPUExecutionProvider"])
    agree = np.mean(predictor.predict(X32) == model.predict(X_test))
    print(f"{name:<28} {len(onx.SerializeToString()) / 1024:6.1f} KiB, labels agree {agree:.1%}")
