"""
================================================
One neuron: linear regression of house prices
================================================

The classic first network has no hidden layer: one neuron, the identity
activation and the squared error, trained by stochastic gradient descent. It
is linear regression, learned the way deep networks are learned. In sknet it
is ``MLPRegressor(hidden_layer_sizes=(), solver="sgd")``.

We generate house prices from a known rule, fit the neuron, and check that it
recovers the rule and the least-squares solution.
"""

# %%
# Data: price = 2.5 k€ per m² + 40 k€, plus noise
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

rng = np.random.default_rng(0)
area = rng.uniform(40, 200, size=200)  # m²
price = 2.5 * area + 40 + rng.normal(scale=25, size=area.size)  # k€
X, y = area.reshape(-1, 1), price

# %%
# The model: scale the input, then one linear neuron
# ---------------------------------------------------
# Gradient descent wants features of unit scale, so a
# :class:`~sklearn.preprocessing.StandardScaler` comes first. ``alpha=0``
# removes the L2 penalty: plain least squares.
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPRegressor

neuron = MLPRegressor(
    hidden_layer_sizes=(),  # no hidden layer: output = X @ W + b
    solver="sgd",
    loss="squared_error",
    learning_rate_init=0.01,
    momentum=0.9,
    alpha=0.0,
    batch_size=20,
    max_iter=100,
    random_state=0,
)
model = make_pipeline(StandardScaler(), neuron).fit(X, y)

# %%
# What it learned
# ---------------
# The neuron's weight acts on the standardized area; dividing by the scaler's
# standard deviation gives k€ per m². We compare with the closed-form least
# squares fit.
scaler = model[0]
w = neuron.coefs_[0][0, 0] / scaler.scale_[0]
b = neuron.intercepts_[0][0] - w * scaler.mean_[0]
w_ls, b_ls = np.polyfit(area, price, deg=1)
print(f"neuron:        price = {w:.3f} * area + {b:.2f}")
print(f"least squares: price = {w_ls:.3f} * area + {b_ls:.2f}")
print(f"epochs run: {neuron.n_iter_}, final loss {neuron.loss_:.1f}")

# %%
# The fit and the training curve
# ------------------------------
# ``loss_curve_`` holds the loss of each epoch (half the mean squared error,
# as in scikit-learn); :class:`~sknet.display.LossCurveDisplay` draws it.
from sknet.display import LossCurveDisplay

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
grid = np.linspace(40, 200, 50).reshape(-1, 1)
left.scatter(area, price, s=8, alpha=0.5, label="houses")
left.plot(grid, model.predict(grid), color="C3", label="one neuron")
left.set(xlabel="area (m²)", ylabel="price (k€)", title="fitted line")
left.legend()
LossCurveDisplay.from_estimator(model, ax=right, name="training loss")
right.set_yscale("log")
fig.tight_layout()
