"""benchmarks/gpu.py, the GPU check, run dry on the CPU so that it cannot rot unseen.

The real run needs an NVIDIA GPU (see benchmarks/README.md); here every step
runs on the CPU provider with the smallest settings.
"""

import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import gpu


def test_dry_run_writes_every_section(tmp_path):
    out = tmp_path / "gpu.md"
    args = ["--provider", "CPUExecutionProvider", "--no-tests", "--quick", "--out", str(out)]
    assert gpu.main(args) == 0
    text = out.read_text()
    assert "DRY RUN on CPUExecutionProvider" in text
    for heading in ("## Placement", "## Parity with predict", "## Throughput"):
        assert heading in text
    assert "0 graphs with nodes off CPUExecutionProvider" in text
    assert (
        "| relu/multiclass | float32, TF32 off | CPUExecutionProvider | labels equal | 1.0000 |"
        in text
    )
