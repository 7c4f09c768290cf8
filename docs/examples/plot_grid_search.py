"""
==========================================================
Tune a pipeline with a grid search on accuracy, recall, F1
==========================================================

The usual scikit-learn workflow with an sknet network: scale the features in
a :class:`~sklearn.pipeline.Pipeline`, search hidden layer sizes and L2
penalty with :class:`~sklearn.model_selection.GridSearchCV` on three metrics
at once, refit the best on macro F1, and report on a held-out split.
"""

# %%
# Data and pipeline
# -----------------
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("mlp", MLPClassifier(max_iter=20, early_stopping=True, n_iter_no_change=3)),
    ]
)

# %%
# Search on three metrics, refit on macro F1
# ------------------------------------------
# Parameters of a pipeline step are addressed as ``step__parameter``. With
# several metrics, ``refit`` names the one that picks the best candidate.
# ``dtype="float32"`` trains in single precision, about twice as fast.
search = GridSearchCV(
    pipeline,
    param_grid={
        "mlp__hidden_layer_sizes": [(32,), (64,)],
        "mlp__alpha": [1e-4, 1e-1],
        "mlp__dtype": ["float32"],
        "mlp__random_state": [0],
    },
    scoring=["accuracy", "recall_macro", "f1_macro"],
    refit="f1_macro",
    cv=2,
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)

# %%
# Every candidate's mean cross-validated scores
# ---------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

results = search.cv_results_
labels = [f"{p['mlp__hidden_layer_sizes']}, α={p['mlp__alpha']:g}" for p in results["params"]]
fig, ax = plt.subplots(figsize=(8, 4))
for i, metric in enumerate(["accuracy", "recall_macro", "f1_macro"]):
    ax.bar(
        np.arange(len(labels)) + 0.25 * (i - 1),
        results[f"mean_test_{metric}"],
        width=0.25,
        yerr=results[f"std_test_{metric}"],
        label=metric,
    )
ax.set_xticks(np.arange(len(labels)), labels)
ax.set_ylim(0.8, 1.0)
ax.set_ylabel("mean CV score")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The best model on the held-out split
# ------------------------------------
from sklearn.metrics import ConfusionMatrixDisplay, classification_report

print(classification_report(y_test, search.predict(X_test), digits=3))
ConfusionMatrixDisplay.from_estimator(search, X_test, y_test, colorbar=False)
