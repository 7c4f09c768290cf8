"""sknet.dask reaches sknet's glue and core internals through _bridge.py only."""

import ast
import importlib
import sys
from pathlib import Path

import pytest

import sknet.dask

PACKAGE = Path(sknet.dask.__file__).parent


def imported_modules(path):
    """Absolute names of the sknet modules a file of sknet imports."""
    package = list(path.relative_to(PACKAGE.parent.parent).parent.parts)
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                names.append(node.module)
            else:  # relative: resolve against the file's package
                base = package[: len(package) + 1 - node.level]
                names.append(".".join(base + ([node.module] if node.module else [])))
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [name for name in names if name.split(".")[0] == "sknet"]


def test_only_the_bridge_imports_the_glue_and_the_core():
    outside = {}
    for path in sorted(PACKAGE.glob("*.py")):
        private = [
            name
            for name in imported_modules(path)
            if name.startswith(("sknet._estimators", "sknet.nn"))
        ]
        if private and path.name != "_bridge.py":
            outside[path.name] = private
    assert outside == {}
    assert "sknet._estimators._base" in imported_modules(PACKAGE / "_bridge.py")


def test_nothing_below_imports_sknet_dask():
    root = PACKAGE.parent
    for path in root.rglob("*.py"):
        if PACKAGE not in path.parents:
            assert not any(n.startswith("sknet.dask") for n in imported_modules(path)), path


def test_without_dask_the_error_names_the_extra(monkeypatch):
    monkeypatch.delitem(sys.modules, "sknet.dask")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install 'sknet\[dask\]'"):
        importlib.import_module("sknet.dask")
