"""The GPU check of the ONNX export, as one short script for a CUDA machine.

On a machine with an NVIDIA GPU, from the repository root::

    python -m pip install ".[onnx-gpu]" pytest hypothesis pandas threadpoolctl
    python -m benchmarks.gpu            # -> benchmarks/results/gpu.md

(``onnx-gpu`` brings onnxruntime-gpu; never install the CPU ``onnxruntime``
beside it, so do not use the ``tests`` extra there.) It

1. lists ``onnxruntime.get_available_providers()`` and names the GPU;
2. runs the ONNX parity tests, whose CUDA cases run only when CUDA is there;
3. times CUDA inference of the reference classifier (100 -> 256 -> 128 -> 10)
   in float32 and float16, batch sizes 1 to 65,536, beside the CPU provider;

and writes what it saw. Where CUDA is not offered it says so and stops: it
never reports CPU figures as GPU ones.
"""

import argparse
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BATCHES = (1, 16, 256, 4096, 65536)
RESULTS = Path(__file__).parent / "results" / "gpu.md"


def gpu_name():
    if shutil.which("nvidia-smi") is None:
        return "no nvidia-smi on this machine"
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or out.stderr.strip()


def parity_tests():
    """Run tests/onnx; returns (exit code, pytest's last line)."""
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/onnx"],
        capture_output=True,
        text=True,
    )
    lines = out.stdout.strip().splitlines()
    return out.returncode, lines[-1] if lines else out.stderr[-500:]


def reference_model():
    from sklearn.datasets import make_classification

    from sknet import MLPClassifier

    X, y = make_classification(20000, 100, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(np.float32)
    return MLPClassifier((256, 128), max_iter=3, random_state=0).fit(X, y), X


def rows_per_second(predictor, X, batch, repeats=5):
    rows = np.ascontiguousarray(np.resize(X, (batch, X.shape[1])))
    predictor.predict_proba(rows)  # warm up (CUDA kernels, allocations)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict_proba(rows)
        times.append(time.perf_counter() - start)
    return batch / float(np.median(times))


def throughput(model, X):
    from sknet.onnx import OnnxPredictor, to_onnx

    table = []
    for compress in (None, "float16"):
        graph = to_onnx(model, compress=compress)
        cuda = OnnxPredictor(graph, ["CUDAExecutionProvider", "CPUExecutionProvider"])
        cpu = OnnxPredictor(graph, ["CPUExecutionProvider"])
        agree = float(np.mean(cuda.predict(X[:4096]) == model.predict(X[:4096])))
        for batch in BATCHES:
            table.append(
                (
                    compress or "float32",
                    batch,
                    rows_per_second(cuda, X, batch),
                    rows_per_second(cpu, X, batch),
                    agree,
                    cuda.provider_,
                )
            )
    return table


def report(providers, name, tests, table):
    lines = [
        "# GPU inference check",
        "",
        f"- machine: {platform.node()}, GPU: {name}",
        f"- onnxruntime providers: {', '.join(providers)}",
        f"- parity tests (tests/onnx): exit {tests[0]}, `{tests[1]}`",
        "",
    ]
    if table:
        lines += [
            "| weights | batch | CUDA rows/s | CPU rows/s | CUDA ÷ CPU "
            "| labels = predict | provider |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {w} | {b:,} | {g:,.0f} | {c:,.0f} | {g / c:.2f} | {a:.4f} | {p} |"
            for w, b, g, c, a, p in table
        ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import onnxruntime

    providers = onnxruntime.get_available_providers()
    name = gpu_name()
    print("providers:", providers, "| GPU:", name, flush=True)
    if "CUDAExecutionProvider" not in providers:
        text = report(providers, name, (None, "not run"), [])
        text += "\nCUDAExecutionProvider is not offered here: no GPU figures.\n"
        args.out.write_text(text)
        print(text)
        return 1
    tests = parity_tests()
    print("parity tests:", tests, flush=True)
    text = report(providers, name, tests, throughput(*reference_model()))
    args.out.write_text(text)
    print(text)
    return 0 if tests[0] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
