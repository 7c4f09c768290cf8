"""Smoke test of benchmarks/: the quick mode runs and writes its report.

Asserts nothing about speed — only that every script still runs against the
current sknet and produces the table, the plots and the machine record.
"""

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("threadpoolctl")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import reference, run  # noqa: E402
from benchmarks._harness import GemmFloor, alternate  # noqa: E402


@pytest.mark.slow
def test_quick_suite_writes_report(tmp_path):
    results = run.main(["--quick", "--no-torch", "--out", str(tmp_path)])

    assert not results["stand_in"], "sknet's estimators should be importable"
    text = (tmp_path / "results.md").read_text()
    for heading in ("## Targets", "## Training", "## Scaling", "## Inference", "## Machine"):
        assert heading in text
    assert "| reference | float32 |" in text
    for name in ("training.png", "scaling.png", "inference.png"):
        assert (tmp_path / name).stat().st_size > 1000
    machine = json.loads((tmp_path / "machine.json").read_text())
    assert machine["threads_pinned"] == 1 and machine["blas"]
    for case in results["training"]:
        assert {"sknet", "sklearn", "floor"} <= set(case["ms"])
    assert all(m["traced_extra"] > 0 for m in results["scaling"]["memory"])


def test_reference_script_prints_ratios(capsys):
    reference.main(
        ["--epochs", "1", "--repeats", "1", "--rows", "600", "--dtype", "float32", "--no-torch"]
    )
    out = capsys.readouterr().out
    assert "GEMM floor" in out and "faster than scikit-learn" in out


def test_gemm_floor_counts_the_products_of_an_epoch():
    floor = GemmFloor(n_samples=450, layer_sizes=[5, 4, 3], batch_size=200, dtype="float64")
    assert floor.plan == [(200, 2), (50, 1)]
    # forward 5*4 + 4*3, weight gradients the same, input gradient of layer 2 only: 4*3
    assert floor.flops == 2 * 450 * (2 * (20 + 12) + 12)
    assert floor.epoch() > 0


def test_alternate_rotates_and_drops_failures():
    calls = []

    def ok(name):
        return lambda: calls.append(name) or 1.0

    def broken():
        raise RuntimeError("boom")

    timings = alternate(
        {"a": ok("a"), "b": ok("b"), "c": broken},
        repeats=2,
        warmup=False,
        progress=lambda message: None,
    )
    assert set(timings.rounds) == {"a", "b"}
    assert calls == ["a", "b", "b", "a"]
    assert timings.ratio("a", "b") == 1.0


def test_gpu_check_says_so_when_cuda_is_absent(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("a CUDA machine runs the real check")
    from benchmarks import gpu

    out = tmp_path / "gpu.md"
    assert gpu.main(["--out", str(out)]) == 1
    text = out.read_text()
    assert "CUDAExecutionProvider is not offered here" in text
    assert "CPUExecutionProvider" in text and "rows/s" not in text


def test_dropout_script_prints_its_ratios(capsys):
    from benchmarks import dropout

    rows = dropout.main(["--rows", "400", "--repeats", "1", "--dtype", "float32"])
    assert [row[1] for row in rows] == ["no dropout", "RandomState", "Generator"]
    assert "x no dropout" in capsys.readouterr().out


def test_compress_quick_writes_report(tmp_path):
    pytest.importorskip("onnxruntime")
    from benchmarks import compress

    report = compress.main(["--quick", "--out", str(tmp_path)])
    text = (tmp_path / "results.md").read_text()
    assert "## Targets (digits)" in text and "gradient-boosting" in text
    assert (tmp_path / "compress.png").stat().st_size > 1000
    for task in report["tasks"]:
        models = {row["model"] for row in task["rows"]}
        assert {f"{v}, {f}" for v in compress.VARIANTS for f in ("float32", "int8")} == models
        assert task["hidden"]["pruned 75%"] == [8, 4]


@pytest.mark.slow
def test_default_script_writes_its_tables_and_profile(tmp_path):
    from benchmarks import default

    results = default.main(
        ["--repeats", "1", "--epochs", "1", "--rows", "400", "--dtype", "float32"]
        + ["--out", str(tmp_path)]
    )
    text = (tmp_path / "default.md").read_text()
    assert "Where a minibatch's time goes" in text and "predict_proba, 1 row" in text
    (profile,) = results["profile"]
    assert set(default.PHASES) <= set(profile["us"]) and all(profile["us"].values())
    assert {"sknet/floor", "sklearn/sknet"} <= set(results["training"][0]["ratio_cpu"])
