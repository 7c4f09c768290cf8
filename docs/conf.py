"""Sphinx configuration of the sknet documentation.

Build with ``docs/build.sh`` (warnings are errors). The gallery examples in
``docs/examples`` run at build time; the benchmark page includes
``benchmarks/results/results.md`` when the benchmarks have been run.
"""

import shutil
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import sknet

project = "sknet"
author = "The sknet developers"
copyright = "The sknet developers"
version = release = getattr(sknet, "__version__", "dev")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "examples",  # read by sphinx-gallery, which writes auto_examples
    "gen_modules/benchmarks",
    "onnx_notes.md",
]
templates_path = ["_templates"]
html_static_path = []

# -- API reference -------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- Gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sknet",),
    "reference_url": {"sknet": None},
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "min_reported_time": 1,
    "show_memory": False,
    "download_all_examples": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknet {version}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "comparison": [], "benchmarks": []}
html_show_sourcelink = False

# -- Benchmark results ---------------------------------------------------------
BENCHMARK_RESULTS = ROOT / "benchmarks" / "results"
GENERATED = DOCS / "gen_modules" / "benchmarks"  # written at build time, ignored by git


def _copy_benchmark_results(app):
    """Copy benchmarks/results (Markdown and plots) next to the page that
    includes them, or write a note where the benchmarks have not been run:
    the main suite's, and the attribution benchmark's (results/attributions)."""
    shutil.rmtree(GENERATED, ignore_errors=True)
    for folder in ("", "attributions"):
        _copy_results(BENCHMARK_RESULTS / folder, GENERATED / folder)


def _copy_results(source, target):
    target.mkdir(parents=True, exist_ok=True)
    results = source / "results.md"
    if not results.exists():
        (target / "results.md").write_text(
            "```{note}\nNo results yet: run the benchmarks (see `benchmarks/`) "
            f"to fill `{results.relative_to(ROOT)}`.\n```\n"
        )
        return
    for path in source.iterdir():
        if path.is_file() and path.suffix in {".png", ".svg", ".csv", ".json"}:
            shutil.copy(path, target / path.name)
    (target / "results.md").write_text(_demote_headings(results.read_text()))


def _demote_headings(markdown):
    """One level down, so the included results sit under the page's title."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        fenced ^= line.lstrip().startswith(("```", "~~~"))
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines) + "\n"


def setup(app):
    app.connect("builder-inited", _copy_benchmark_results)
