"""Training speed: sknet vs scikit-learn's MLP vs PyTorch (CPU), per epoch.

Each contender fits from scratch with ``max_iter=epochs``, ``tol=0`` and
``n_iter_no_change`` past the end, so it runs every epoch; its time is the
whole ``fit`` divided by ``n_iter_`` (so validation and initialisation are
included, spread over the epochs). The GEMM floor — only the matrix
products those epochs need, on preallocated arrays — runs in the same
rounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _contenders as C
from ._harness import GemmFloor, alternate, log, markdown_table, timed

CONTENDERS = ("sknet", "sklearn", "torch", "floor")
LABELS = {"sknet": "sknet", "sklearn": "scikit-learn", "torch": "PyTorch", "floor": "GEMM floor"}


@dataclass(frozen=True)
class Case:
    """One training benchmark: data, network, solver, epochs, precision."""

    name: str
    data: tuple  # ("teacher", n_train, n_features, n_classes) or ("digits",)
    hidden: tuple
    solver: str = "sgd"
    epochs: int = 3
    dtype: str = "float32"
    batch_size: int = 200
    learning_rate_init: float = 0.01
    torch: bool = True
    max_rounds: int | None = None  # cap on rounds for the costly cases
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def task(self) -> str:
        return (
            "regression" if self.data[0] == "teacher" and self.data[3] is None else "classification"
        )

    def params(self) -> dict:
        return dict(
            hidden_layer_sizes=self.hidden,
            solver=self.solver,
            batch_size=self.batch_size,
            learning_rate_init=self.learning_rate_init,
            momentum=0.9,
            nesterovs_momentum=True,
            alpha=1e-4,
            max_iter=self.epochs,
            tol=0.0,
            n_iter_no_change=self.epochs + 1,
            shuffle=True,
            early_stopping=False,
            random_state=0,
            **self.extra,
        )

    def load(self):
        if self.data[0] == "digits":
            return C.digits(self.dtype)
        _, n_train, n_features, n_classes = self.data
        return C.train_test(n_train, n_train // 3, n_features, n_classes, self.dtype)


REFERENCE = dict(data=("teacher", 15_000, 100, 10), hidden=(256, 128), solver="sgd")
DEFAULT = dict(
    data=("teacher", 20_000, 50, 5),
    hidden=(100,),
    solver="adam",
    learning_rate_init=1e-3,
    note="scikit-learn's defaults: where most users train",
)


def cases(quick: bool) -> list[Case]:
    """The training cases: default, reference, tiny, wide, deep, lbfgs-digits,
    adam and regression; ``quick`` shrinks every one to seconds."""
    if quick:
        small = ("teacher", 1_500, 20, 10)
        return [
            Case("reference", small, (32, 16), epochs=2, dtype="float32"),
            Case("tiny", ("teacher", 300, 10, 3), (8,), epochs=3, dtype="float64"),
            Case(
                "lbfgs-digits",
                ("digits",),
                (16,),
                solver="lbfgs",
                epochs=5,
                dtype="float64",
                torch=False,
            ),
        ]
    return [
        Case("default", **DEFAULT, epochs=5, dtype="float32"),
        Case("default", **DEFAULT, epochs=5, dtype="float64"),
        Case("reference", **REFERENCE, epochs=3, dtype="float32"),
        Case("reference", **REFERENCE, epochs=2, dtype="float64"),
        Case(
            "tiny",
            ("teacher", 1_000, 10, 3),
            (32,),
            epochs=60,
            dtype="float64",
            note="1,000 x 10, 3 classes: per-batch overhead dominates",
        ),
        Case(
            "wide",
            ("teacher", 15_000, 100, 10),
            (1024, 1024),
            epochs=1,
            dtype="float32",
            max_rounds=3,
        ),
        Case("deep", ("teacher", 15_000, 100, 10), (128,) * 8, epochs=3, dtype="float32"),
        Case(
            "lbfgs-digits",
            ("digits",),
            (100,),
            solver="lbfgs",
            epochs=60,
            dtype="float64",
            torch=False,
            batch_size=200,
            note="ms per L-BFGS iteration; floor = one full-batch gradient",
        ),
        Case(
            "adam",
            **{**REFERENCE, "solver": "adam"},
            epochs=3,
            dtype="float32",
            learning_rate_init=1e-3,
        ),
        Case(
            "regression",
            ("teacher", 15_000, 100, None),
            (256, 128),
            solver="adam",
            epochs=3,
            dtype="float32",
            learning_rate_init=1e-3,
        ),
    ]


def run_case(case: Case, repeats: int, use_torch: bool, progress=log) -> dict:
    """Time one case; return medians, paired ratios and final scores."""
    Xtr, ytr, Xte, yte = case.load()
    n_out = len(np.unique(ytr)) if case.task == "classification" else 1
    if n_out == 2:
        n_out = 1
    layer_sizes = [Xtr.shape[1], *case.hidden, n_out]
    floor_batch = len(Xtr) if case.solver == "lbfgs" else case.batch_size
    floor = GemmFloor(len(Xtr), layer_sizes, floor_batch, case.dtype)
    fitted: dict = {}

    def fitter(name):
        def run():
            if name == "torch":
                model = C.TorchMLP(case.task, case.params(), case.dtype)
            else:
                model = C.make_mlp(name, case.task, case.params(), case.dtype)
            seconds, _ = timed(lambda: C.quiet_fit(model, Xtr, ytr))
            fitted[name] = model
            return seconds / max(model.n_iter_, 1)

        return run

    contenders = {"sknet": fitter("sknet"), "sklearn": fitter("sklearn")}
    if use_torch and case.torch and C.torch_or_none() is not None:
        contenders["torch"] = fitter("torch")
    contenders["floor"] = floor.epoch
    total = case.epochs * len(Xtr) * sum(a * b for a, b in zip(layer_sizes, layer_sizes[1:]))
    rounds = min(repeats, case.max_rounds or repeats)
    timings = alternate(contenders, rounds, warmup=total < 5e8, progress=progress)

    result = {
        "case": case.name,
        "dtype": case.dtype,
        "task": case.task,
        "rounds": rounds,
        "n_train": len(Xtr),
        "n_features": Xtr.shape[1],
        "hidden": list(case.hidden),
        "solver": case.solver,
        "epochs": case.epochs,
        "batch_size": case.batch_size,
        "note": case.note,
        "floor_gflops": floor.flops / 1e9,
        "ms": {},
        "spread": {},
        "score": {},
        "n_iter": {},
        "ratio": {},
    }
    for name in timings.rounds:
        result["ms"][name] = 1e3 * timings.median(name)
        result["spread"][name] = timings.spread(name)
        if name in fitted:
            result["score"][name] = _scores(case.task, fitted[name], Xte, yte)
            result["n_iter"][name] = int(fitted[name].n_iter_)
    for other in ("sklearn", "torch"):
        if other in timings and "sknet" in timings:
            result["ratio"][f"{other}/sknet"] = timings.ratio(other, "sknet")
    for name in ("sknet", "sklearn", "torch"):
        if name in timings and "floor" in timings:
            result["ratio"][f"{name}/floor"] = timings.ratio(name, "floor")
    progress(_one_line(result))
    return result


def _scores(task, model, X, y) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, r2_score

    pred = model.predict(X)
    if task == "classification":
        return {"accuracy": accuracy_score(y, pred), "macro_f1": f1_score(y, pred, average="macro")}
    return {"r2": r2_score(y, pred)}


def _one_line(r) -> str:
    ms = ", ".join(f"{LABELS[k]} {v:.2f} ms" for k, v in r["ms"].items())
    ratios = ", ".join(f"{k} {v:.2f}x" for k, v in r["ratio"].items())
    return f"  {r['case']} [{r['dtype']}]: {ms}; {ratios}"


def run(quick: bool, repeats: int, use_torch: bool, only=None, progress=log) -> list[dict]:
    results = []
    for case in cases(quick):
        if only and case.name not in only:
            continue
        progress(f"training: {case.name} [{case.dtype}] ...")
        results.append(run_case(case, repeats, use_torch, progress))
    return results


# --------------------------------------------------------------------------
# report


def speed_table(results: list[dict]) -> str:
    header = [
        "case",
        "dtype",
        "sknet ms/epoch",
        "scikit-learn",
        "PyTorch",
        "GEMM floor",
        "sklearn ÷ sknet",
        "torch ÷ sknet",
        "sknet ÷ floor",
        "sklearn ÷ floor",
        "torch ÷ floor",
    ]
    rows = []
    for r in results:
        ms, ratio = r["ms"], r["ratio"]
        rows.append(
            [
                r["case"],
                r["dtype"],
                ms.get("sknet"),
                ms.get("sklearn"),
                ms.get("torch"),
                ms.get("floor"),
                ratio.get("sklearn/sknet"),
                ratio.get("torch/sknet"),
                ratio.get("sknet/floor"),
                ratio.get("sklearn/floor"),
                ratio.get("torch/floor"),
            ]
        )
    return markdown_table(header, rows)


def quality_table(results: list[dict]) -> str:
    header = ["case", "dtype", "metric", "sknet", "scikit-learn", "PyTorch", "epochs (n_iter_)"]
    rows = []
    for r in results:
        metrics = ["accuracy", "macro_f1"] if r["task"] == "classification" else ["r2"]
        for metric in metrics:
            s = r["score"]
            rows.append(
                [
                    r["case"],
                    r["dtype"],
                    metric.replace("_", "-"),
                    *(s[k][metric] if k in s else None for k in ("sknet", "sklearn", "torch")),
                    " / ".join(str(r["n_iter"].get(k, "–")) for k in ("sknet", "sklearn", "torch")),
                ]
            )
    return markdown_table(header, rows)


def cases_table(results: list[dict]) -> str:
    header = ["case", "data (train rows x features)", "hidden", "solver", "batch", "epochs", "note"]
    seen, rows = set(), []
    for r in results:
        if r["case"] in seen:
            continue
        seen.add(r["case"])
        hidden = (
            f"({r['hidden'][0]},) x {len(r['hidden'])}"
            if len(set(r["hidden"])) == 1 and len(r["hidden"]) > 2
            else str(tuple(r["hidden"]))
        )
        rows.append(
            [
                r["case"],
                f"{r['n_train']:,} x {r['n_features']}",
                hidden,
                r["solver"],
                r["batch_size"] if r["solver"] != "lbfgs" else "full",
                r["epochs"],
                r["note"],
            ]
        )
    return markdown_table(header, rows)


def plot(results: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['case']}\n{r['dtype']}" for r in results]
    names = [n for n in CONTENDERS if any(n in r["ms"] for r in results)]
    x = np.arange(len(results))
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(results)), 4.5))
    for i, name in enumerate(names):
        # time relative to sknet, so cases of very different size share an axis
        values = [r["ms"].get(name, np.nan) / r["ms"]["sknet"] for r in results]
        ax.bar(x + (i - (len(names) - 1) / 2) * width, values, width, label=LABELS[name])
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("time per epoch / sknet's")
    ax.set_title("Training time per epoch relative to sknet (lower is faster)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
