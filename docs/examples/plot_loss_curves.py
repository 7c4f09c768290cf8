"""
=============================
Read the training curve
=============================

``loss_curve_`` records the training loss of every epoch. With
``early_stopping=True`` the network also holds out ``validation_fraction`` of
the training rows and records, per epoch, their loss
(``validation_loss_curve_``) and their score (``validation_scores_``, on the
metric named by ``scoring``). :class:`~sknet.display.LossCurveDisplay` draws
all three, from a network, a pipeline or a fitted search.
"""

# %%
# Early stopping on macro F1
# --------------------------
# Training stops after ``n_iter_no_change`` epochs without a better
# validation score, and the network keeps the weights of its best epoch.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.display import LossCurveDisplay

X, y = load_digits(return_X_y=True)
model = make_pipeline(
    StandardScaler(),
    MLPClassifier(
        hidden_layer_sizes=(64,),
        early_stopping=True,
        scoring="f1_macro",
        n_iter_no_change=5,
        max_iter=30,
        dtype="float32",
        random_state=0,
    ),
).fit(X, y)
network = model[-1]
print(
    f"stopped after {network.n_iter_} epochs; best validation F1 "
    f"{network.best_validation_score_:.3f}"
)
display = LossCurveDisplay.from_estimator(model)

# %%
# How to read it: the training loss keeps falling while the validation loss
# flattens and then rises; the gap is overfitting. The validation score (right
# axis) is what early stopping watches.

# %%
# Compare learning-rate schedules
# -------------------------------
# A Display draws on the Axes you pass, so curves sit side by side. With plain
# SGD, a cosine schedule decays the step to zero over ``max_iter`` epochs:
# its late epochs take small steps, so its curves end smoother than with a
# constant step.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, schedule in zip(axes, ["constant", "cosine"]):
    sgd = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(64,),
            solver="sgd",
            learning_rate=schedule,
            learning_rate_init=0.05,
            max_iter=10,
            early_stopping=True,
            n_iter_no_change=10,
            dtype="float32",
            random_state=0,
        ),
    ).fit(X, y)
    LossCurveDisplay.from_estimator(sgd, ax=ax, name=f"sgd, {schedule} schedule")
fig.tight_layout()
