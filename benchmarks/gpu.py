"""The GPU check of sknet's ONNX export, as one prepared script.

On any machine with an NVIDIA GPU, its driver and a package index, from the
repository root::

    python benchmarks/gpu.py --venv /tmp/sknet-gpu     # -> benchmarks/results/gpu.md

``--venv`` makes a clean virtual environment with ``onnxruntime-gpu[cuda,cudnn]``
(CUDA and cuDNN from pip, no system CUDA needed) and sknet with its
``onnx-gpu`` extra, removes a CPU ``onnxruntime`` that came along (both own
the ``onnxruntime`` module), and reruns itself there. Without ``--venv`` it
checks the current environment. It

1. calls ``onnxruntime.preload_dlls()`` and opens a CUDA session: a provider
   that is listed but cannot load its libraries is reported as such, never
   measured as CUDA;
2. reads node placement from onnxruntime's profiler for every exported graph
   (each activation x output kind, float32 / float16 / static int8, and a
   DataFrame pipeline whose string encoder has no CUDA kernel): the nodes
   not run by CUDA, and Memcpy nodes;
3. compares CUDA with ``predict`` with TF32 off (sknet's default) and on;
4. gives float16 and int8 (static QDQ on CUDA, dynamic on the CPU) rows;
5. times the reference classifier (100 -> 256 -> 128 -> 10) for batches of
   1 to 65,536 on CUDA and on the CPU;
6. runs the ONNX tests, whose CUDA cases run only here.

It takes 3 to 6 minutes on an H100-class machine after the install. Where
CUDA is not usable it says so and writes no figures; ``--provider
CPUExecutionProvider`` runs every step on the CPU to check the script itself
(a dry run, labelled so).
"""

import argparse
import functools
import json
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's sknet, also when run as a file
RESULTS = ROOT / "benchmarks" / "results" / "gpu.md"
BATCHES = (1, 16, 256, 4096, 65536)
CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"


def make_venv(venv):
    """A clean environment with onnxruntime-gpu[cuda,cudnn] and no CPU onnxruntime."""
    python = Path(venv) / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "onnxruntime-gpu[cuda,cudnn]"], check=True)
    subprocess.run([*pip, f"{ROOT}[onnx-gpu]", "pytest", "hypothesis", "pandas"], check=True)
    listed = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True)
    if any(line.split()[:1] == ["onnxruntime"] for line in listed.stdout.splitlines()):
        subprocess.run([str(python), "-m", "pip", "uninstall", "-y", "onnxruntime"], check=True)
        subprocess.run([*pip, "--force-reinstall", "--no-deps", "onnxruntime-gpu"], check=True)
    return python


def gpu_name():
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        return "no nvidia-smi on this machine"
    return out.stdout.strip() or out.stderr.strip()


def provider_works(ort, provider):
    """Whether a session really runs on ``provider`` (listed is not enough)."""
    from sknet import MLPRegressor
    from sknet.onnx import to_onnx

    X = np.random.RandomState(0).rand(8, 3).astype(np.float32)
    onx = to_onnx(MLPRegressor(hidden_layer_sizes=(4,), max_iter=1).fit(X, X[:, 0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = ort.InferenceSession(onx.SerializeToString(), providers=[provider, CPU])
    return session.get_providers()[0] == provider


@functools.cache
def fitted_models(quick=False):
    """[(name, model, X)]: every activation x output kind (relu only if quick)."""
    from sklearn.datasets import make_classification

    from sknet import MLPClassifier, MLPRegressor
    from sknet.nn.activations import ACTIVATIONS

    X, y = make_classification(2000, 20, n_informative=10, n_classes=4, random_state=0)
    X = X.astype(np.float32)
    targets = {
        "binary": (MLPClassifier, y % 2),
        "multiclass": (MLPClassifier, y),
        "multilabel": (MLPClassifier, np.column_stack([y % 2, y // 2])),
        "regression": (MLPRegressor, X[:, :3] @ [1.0, -2.0, 0.5]),
        "poisson": (MLPRegressor, np.random.RandomState(0).poisson(np.exp(X[:, 0] / 4))),
    }
    models = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for activation in ["relu"] if quick else sorted(ACTIVATIONS):
            for kind, (Estimator, target) in targets.items():
                loss = {"loss": "poisson"} if kind == "poisson" else {}
                model = Estimator(
                    hidden_layer_sizes=(64, 32), activation=activation, max_iter=20, **loss
                )
                models.append((f"{activation}/{kind}", model.fit(X, target), X))
    return models


def profile(ort, onx, X, provider, tf32=False):
    """(nodes, nodes not on ``provider``, Memcpy nodes) from onnxruntime's profiler."""
    from sknet.onnx import OnnxPredictor

    options = ort.SessionOptions()
    options.enable_profiling = True
    options.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "profile")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predictor = OnnxPredictor(onx, [provider, CPU], tf32=tf32, session_options=options)
    predictor.session.run(None, predictor.feeds(X[:64]))
    events = json.loads(Path(predictor.session.end_profiling()).read_text())
    kernels = [e for e in events if e.get("cat") == "Node" and "provider" in e.get("args", {})]
    nodes = {e["name"]: e["args"] for e in kernels}  # not the _fence_before/after events
    off = sorted({a.get("op_name") for a in nodes.values() if a.get("provider") != provider})
    memcpy = sorted({a.get("op_name") for a in nodes.values() if "Memcpy" in a.get("op_name", "")})
    return len(nodes), off, memcpy


def placement(ort, provider, quick):
    from sknet.onnx import quantize_int8, to_onnx

    rows = []
    for name, model, X in fitted_models(quick):
        graphs = {"float32": to_onnx(model, X), "float16": to_onnx(model, X, compress="float16")}
        graphs["int8 QDQ"] = quantize_int8(graphs["float32"], X[:500], method="static")
        for weights, onx in graphs.items():
            rows.append((name, weights, *profile(ort, onx, X, provider)))
    pipeline, df = dataframe_pipeline()
    rows.append(
        ("DataFrame pipeline", "float32", *profile(ort, to_onnx(pipeline, df), df, provider))
    )
    return rows


def dataframe_pipeline():
    """Scaled numbers and one-hot strings into a network: skl2onnx's OneHotEncoder is CPU-only."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from sknet import MLPClassifier

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"income": rng.rand(500) * 1e5, "city": rng.choice(["Lyon", "Pune"], 500)})
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["income"]), ("cat", OneHotEncoder(), ["city"])]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make_pipeline(columns, MLPClassifier(max_iter=5)).fit(df, df.income > 5e4)
    return model, df


def parity(provider, quick):
    """Agreement of each export on ``provider`` with ``predict``, TF32 off and on."""
    from sknet.onnx import OnnxPredictor, quantize_int8, to_onnx

    rows = []
    for name, model, X in fitted_models(quick):
        if not name.startswith(("gelu/", "relu/")):
            continue
        expected = model.predict(X)
        graphs = [
            ("float32, TF32 off", to_onnx(model, X), [provider], False),
            ("float32, TF32 on", to_onnx(model, X), [provider], True),
            ("float16", to_onnx(model, X, compress="float16"), [provider], False),
            (
                "int8 QDQ",
                quantize_int8(to_onnx(model, X), X[:500], method="static"),
                [provider],
                False,
            ),
            ("int8 dynamic (CPU)", to_onnx(model, X, compress="int8"), None, False),
        ]
        for label, onx, providers, tf32 in graphs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predictor = OnnxPredictor(onx, providers, tf32=tf32)
            got = predictor.predict(X)
            if expected.dtype.kind == "f":
                diff = float(np.max(np.abs(got - expected)) / np.std(expected))
                rows.append((name, label, predictor.provider_, "max |diff| / std", f"{diff:.2e}"))
            else:
                agree = float(np.mean(np.all((got == expected).reshape(len(X), -1), axis=1)))
                rows.append((name, label, predictor.provider_, "labels equal", f"{agree:.4f}"))
    return rows


def rows_per_second(predictor, X, batch, repeats=5):
    rows = np.ascontiguousarray(np.resize(X, (batch, X.shape[1])))
    predictor.predict_proba(rows)  # warm up: kernels, allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict_proba(rows)
        times.append(time.perf_counter() - start)
    return batch / float(np.median(times))


def throughput(provider, quick):
    from sklearn.datasets import make_classification

    from sknet import MLPClassifier
    from sknet.onnx import OnnxPredictor, to_onnx

    n_samples = 2000 if quick else 20000
    X, y = make_classification(n_samples, 100, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=3, random_state=0).fit(X, y)
    table = []
    for weights, tf32 in [("float32", False), ("float32 TF32", True), ("float16", False)]:
        onx = to_onnx(model, X, compress="float16" if weights == "float16" else None)
        device = OnnxPredictor(onx, [provider], tf32=tf32, batch_size=65536)
        cpu = OnnxPredictor(onx, [CPU], batch_size=65536)
        for batch in BATCHES[:2] if quick else BATCHES:
            speeds = rows_per_second(device, X, batch), rows_per_second(cpu, X, batch)
            table.append((weights, batch, *speeds))
    return table


def run_tests(python=sys.executable):
    out = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/onnx"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = out.stdout.strip().splitlines()
    return out.returncode, lines[-1] if lines else out.stderr[-300:]


def report(head, placements, parities, speeds, tests, provider):
    lines = ["# GPU check of the ONNX export", "", *[f"- {line}" for line in head], ""]
    if placements:
        misplaced = [r for r in placements if r[3] or r[4]]
        lines += [
            "## Placement (onnxruntime profiler)",
            "",
            f"{len(placements)} graphs, {sum(r[2] for r in placements)} nodes: "
            f"{len(misplaced)} graphs with nodes off {provider} or Memcpy nodes.",
            "",
            "| model | weights | nodes | not on the provider | Memcpy |",
            "|---|---|---:|---|---|",
        ]
        lines += [
            f"| {n} | {w} | {k} | {', '.join(o) or '-'} | {', '.join(m) or '-'} |"
            for n, w, k, o, m in misplaced
        ] or ["| (none) | | | | |"]
    if parities:
        lines += [
            "",
            "## Parity with predict",
            "",
            "| model | export | provider | measure | value |",
        ]
        lines += ["|---|---|---|---|---:|"] + [f"| {' | '.join(r)} |" for r in parities]
    if speeds:
        lines += ["", "## Throughput, reference classifier 100 -> 256 -> 128 -> 10", ""]
        lines += [f"| weights | batch | {provider} rows/s | CPU rows/s | ratio |"]
        lines += ["|---|---:|---:|---:|---:|"]
        lines += [f"| {w} | {b:,} | {g:,.0f} | {c:,.0f} | {g / c:.2f} |" for w, b, g, c in speeds]
    if tests:
        lines += ["", f"ONNX tests (tests/onnx): exit {tests[0]}, `{tests[1]}`"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--venv", type=Path, help="make a clean venv there and run in it")
    parser.add_argument("--provider", default=CUDA, help="CPUExecutionProvider: a dry run")
    parser.add_argument("--no-tests", action="store_true", help="skip running tests/onnx")
    parser.add_argument("--quick", action="store_true", help="relu only, two batch sizes")
    args = parser.parse_args(argv)
    if args.venv is not None:
        python = make_venv(args.venv)
        rest = ["--out", str(args.out), "--provider", args.provider]
        rest += ["--no-tests"] * args.no_tests + ["--quick"] * args.quick
        return subprocess.run([str(python), __file__, *rest], cwd=ROOT).returncode
    started = time.perf_counter()
    import onnxruntime as ort

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()
    listed = ort.get_available_providers()
    head = [f"machine: {platform.node()}, GPU: {gpu_name()}"]
    head += [f"onnxruntime {ort.__version__}, providers listed: {', '.join(listed)}"]
    if args.provider != CUDA:
        head.append(f"DRY RUN on {args.provider}: these are not GPU figures")
    if args.provider not in listed or not provider_works(ort, args.provider):
        state = "is not offered here"
        if args.provider in listed:
            state = "is listed but does not load (CUDA / cuDNN libraries?)"
        text = report(head, [], [], [], None, args.provider)
        text += f"\n{args.provider} {state}: no GPU figures.\n"
        args.out.write_text(text)
        print(text)
        return 1
    tests = None if args.no_tests else run_tests()
    placed = placement(ort, args.provider, args.quick)
    agreed = parity(args.provider, args.quick)
    text = report(head, placed, agreed, throughput(args.provider, args.quick), tests, args.provider)
    text += f"\nTook {time.perf_counter() - started:.0f} s.\n"
    args.out.write_text(text)
    print(text)
    return 0 if tests is None or tests[0] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
