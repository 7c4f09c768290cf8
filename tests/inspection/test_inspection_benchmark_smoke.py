"""Smoke test of benchmarks/attributions.py: the quick mode runs and writes its report.

Asserts nothing about speed, only that the script still runs against the
current sknet and writes the table, the plot and the machine record.
"""

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("threadpoolctl")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import attributions as bench  # noqa: E402


def test_quick_run_writes_report(tmp_path):
    results = bench.main(["--quick", "--out", str(tmp_path)])

    text = (tmp_path / "results.md").read_text()
    for heading in ("## 100 rows", "## Completeness", "## Memory"):
        assert heading in text
    assert (tmp_path / "attributions.png").stat().st_size > 1000
    assert json.loads((tmp_path / "machine.json").read_text())["threads_pinned"] == 1
    (case,) = results["cases"]
    assert {"gradient", "ig", "ig-plain", "ig-exact", "ig-f32", "permutation"} <= set(
        case["ms_per_row"]
    )
    assert results["memory"]["peak_mib"] > 0
