"""The data sets and the models the benchmarks compare.

sknet and scikit-learn take the same parameters; PyTorch, when installed,
gets an equivalent network and loop (same layers, initialisation range,
optimizer, batch size, shuffling and L2 penalty). PyTorch is optional and
never a dependency: :func:`torch_or_none` returns ``None`` without it.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

# --------------------------------------------------------------------------
# data


def teacher_data(
    n_samples: int,
    n_features: int,
    n_classes: int | None,
    dtype="float32",
    seed: int = 0,
    chunk: int = 100_000,
):
    """Synthetic rows labelled by a random one-hidden-layer teacher network.

    ``X`` is drawn directly in ``dtype`` and the labels are computed in
    chunks, so a million rows cost the size of ``X`` and ``y`` and nothing
    more. ``n_classes=None`` gives a regression target.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features), dtype=np.dtype(dtype))
    n_out = n_classes or 1
    W1 = rng.standard_normal((n_features, 64)).astype(dtype) / np.sqrt(n_features)
    W2 = rng.standard_normal((64, n_out)).astype(dtype) / 4
    y = np.empty(n_samples, dtype=np.int64 if n_classes else dtype)
    for start in range(0, n_samples, chunk):
        logits = np.tanh(X[start : start + chunk] @ W1) @ W2
        logits += 0.1 * rng.standard_normal(logits.shape, dtype=np.dtype(dtype))
        y[start : start + chunk] = logits.argmax(1) if n_classes else logits[:, 0]
    return X, y


def train_test(
    n_train: int,
    n_test: int,
    n_features: int,
    n_classes: int | None,
    dtype="float32",
    seed: int = 0,
):
    X, y = teacher_data(n_train + n_test, n_features, n_classes, dtype, seed)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def digits(dtype="float64"):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(dtype)
    split = int(0.8 * len(X))
    return X[:split], y[:split], X[split:], y[split:]


# --------------------------------------------------------------------------
# estimators


def sknet_estimators():
    """``(MLPClassifier, MLPRegressor, is_stand_in)``.

    While sknet's estimators are not importable yet, scikit-learn's stand in
    for them (same API), and the results say so.
    """
    try:
        from sknet import MLPClassifier, MLPRegressor

        return MLPClassifier, MLPRegressor, False
    except ImportError:
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        return MLPClassifier, MLPRegressor, True


def sklearn_estimators():
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    return MLPClassifier, MLPRegressor


def make_mlp(library: str, task: str, params: dict, dtype: str):
    """An unfitted estimator of ``library`` ("sknet" or "sklearn")."""
    if library == "sknet":
        clf, reg, stand_in = sknet_estimators()
    else:
        (clf, reg), stand_in = sklearn_estimators(), True
    cls = clf if task == "classification" else reg
    params = dict(params)
    if not stand_in and "dtype" in cls().get_params():
        params["dtype"] = dtype
    return cls(**params)


def torch_or_none():
    try:
        return importlib.import_module("torch")
    except Exception:
        return None


class TorchMLP:
    """The PyTorch network and training loop equivalent to an sklearn MLP.

    Uniform Glorot initialisation (sklearn's range), ReLU/tanh hidden
    layers, cross-entropy or squared error, SGD with (Nesterov) momentum or
    Adam, L2 penalty ``alpha`` on the weights only (``alpha / batch`` per
    step, as sklearn scales it), reshuffled minibatches each epoch.
    """

    def __init__(self, task: str, params: dict, dtype: str):
        self.task, self.params, self.dtype = task, params, dtype

    def fit(self, X, y):
        torch = torch_or_none()
        p = self.params
        tdtype = getattr(torch, self.dtype)
        torch.manual_seed(p.get("random_state", 0) or 0)
        Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=self.dtype))
        if self.task == "classification":
            self.classes_, codes = np.unique(y, return_inverse=True)
            yt = torch.from_numpy(codes.astype(np.int64))
            n_out, loss_fn = len(self.classes_), torch.nn.CrossEntropyLoss()
        else:
            yt = torch.from_numpy(np.asarray(y, dtype=self.dtype).reshape(-1, 1))
            n_out = 1

            def loss_fn(out, target):
                return 0.5 * torch.nn.functional.mse_loss(out, target)

        self.model = _torch_network(
            torch, X.shape[1], p["hidden_layer_sizes"], n_out, p.get("activation", "relu"), tdtype
        )
        batch = min(p.get("batch_size", 200), len(X))
        optimizer = _torch_optimizer(torch, self.model, p, batch)
        self.n_iter_ = p["max_iter"]
        for _ in range(self.n_iter_):
            order = torch.randperm(len(Xt))
            for start in range(0, len(Xt), batch):
                idx = order[start : start + batch]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(self.model(Xt[idx]), yt[idx])
                loss.backward()
                optimizer.step()
        return self

    def predict(self, X):
        torch = torch_or_none()
        with torch.no_grad():
            out = self.model(torch.from_numpy(np.ascontiguousarray(X, dtype=self.dtype)))
        if self.task == "classification":
            return self.classes_[out.argmax(1).numpy()]
        return out[:, 0].numpy()


def _torch_network(torch, n_in, hidden, n_out, activation, tdtype):
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "logistic": torch.nn.Sigmoid}[activation]
    sizes = [n_in, *hidden, n_out]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(a, b, dtype=tdtype)
        bound = np.sqrt((2.0 if activation == "logistic" else 6.0) / (a + b))
        torch.nn.init.uniform_(linear.weight, -bound, bound)
        torch.nn.init.uniform_(linear.bias, -bound, bound)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(act())
    return torch.nn.Sequential(*layers)


def _torch_optimizer(torch, model, p, batch):
    weights = [w for name, w in model.named_parameters() if name.endswith("weight")]
    biases = [b for name, b in model.named_parameters() if name.endswith("bias")]
    groups = [
        {"params": weights, "weight_decay": p.get("alpha", 1e-4) / batch},
        {"params": biases, "weight_decay": 0.0},
    ]
    lr = p.get("learning_rate_init", 1e-3)
    if p.get("solver", "adam") == "sgd":
        return torch.optim.SGD(
            groups,
            lr=lr,
            momentum=p.get("momentum", 0.9),
            nesterov=p.get("nesterovs_momentum", True),
        )
    if p.get("solver", "adam") == "adam":
        return torch.optim.Adam(
            groups,
            lr=lr,
            betas=(p.get("beta_1", 0.9), p.get("beta_2", 0.999)),
            eps=p.get("epsilon", 1e-8),
        )
    raise ValueError(f"no PyTorch equivalent for solver {p['solver']!r}")


def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)
