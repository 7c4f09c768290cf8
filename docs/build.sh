#!/usr/bin/env bash
# Build the documentation with warnings as errors, after running the
# docstring and user-guide examples as doctests. Needs the docs extra:
#   pip install ".[docs]"  (plus myst-parser)
# Usage: docs/build.sh [extra sphinx-build options]   ->  docs/_build/html
set -euo pipefail
cd "$(dirname "$0")/.."

export MPLBACKEND=Agg
# One BLAS thread: the examples' matrices are small, and several threads per
# product can be many times slower on a shared machine (see user_guide/performance).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Docstring examples of the package, and the >>> blocks of the pages.
python -m pytest -q -p no:cacheprovider --doctest-modules sknet \
  --ignore=sknet/__main__.py
(cd docs && python -m pytest -q -p no:cacheprovider --doctest-glob='*.rst' \
  getting_started.rst user_guide)
# The site, executing the gallery examples; any warning fails the build.
python -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
