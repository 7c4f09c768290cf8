"""sknet.compress needs no extra: NumPy, SciPy and scikit-learn only."""

import subprocess
import sys


def test_compress_imports_no_onnx_and_no_plotting():
    code = (
        "import sys, sknet.compress;"
        "bad = sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('onnx', 'onnxruntime', 'skl2onnx', 'matplotlib'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
