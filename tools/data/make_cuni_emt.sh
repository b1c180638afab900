#!/usr/bin/env bash
# Makes tools/data/cuni_emt/{train,test}.extxyz (Cu-Ni alloy bulk and
# clusters, Langevin MD, ASE's EMT energies and forces): installs ASE from
# PyPI into a venv under /tmp (never a dependency of eqv) and runs
# make_cuni_emt.py. The generated files are committed, so training needs no
# Python; re-run this only to regenerate them.
#
#   tools/data/make_cuni_emt.sh            # venv in /tmp/eqv-ase-venv
#   VENV=/path/to/venv tools/data/make_cuni_emt.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-/tmp/eqv-ase-venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import ase" 2>/dev/null || "$VENV/bin/pip" install --quiet "ase>=3.23"
"$VENV/bin/python" tools/data/make_cuni_emt.py
