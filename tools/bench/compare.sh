#!/usr/bin/env bash
# eqv against e3nn on the same machine in the same run: the kernels of
# benches/support/kernels.rs (eqv, examples/bench_vs_e3nn.rs) and the same
# workloads in e3nn (tools/bench/e3nn_bench.py), alternated for ROUNDS rounds
# (eqv, e3nn 1 thread, ...), then e3nn on 2 threads once; prints a table of
# times and ratios (tools/bench/table.py).
#
#   tools/bench/compare.sh                # uses $E3NN_PYTHON or /tmp/e3nn-venv
#   ROUNDS=3 REPS=15 tools/bench/compare.sh
#
# Set up the Python side once (CPU wheels from PyPI; not a dependency of eqv):
#   python3 -m venv /tmp/e3nn-venv && /tmp/e3nn-venv/bin/pip install e3nn torch
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${E3NN_PYTHON:-/tmp/e3nn-venv/bin/python}
ROUNDS=${ROUNDS:-2}
REPS=${REPS:-15}
OUT=${OUT:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}
"$PY" -c "import e3nn, torch" || {
    echo "e3nn/torch not importable with $PY; see the header of $0" >&2
    exit 1
}
cargo build --release --example bench_vs_e3nn >&2
echo "load before: $(cat /proc/loadavg)" >&2
eqv=() e1=()
for r in $(seq 1 "$ROUNDS"); do
    "$TARGET/release/examples/bench_vs_e3nn" --reps "$REPS" --json "$OUT/eqv_$r.json"
    "$PY" tools/bench/e3nn_bench.py --threads 1 --reps "$REPS" --json "$OUT/e3nn1_$r.json"
    eqv+=("$OUT/eqv_$r.json") e1+=("$OUT/e3nn1_$r.json")
    echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
"$PY" tools/bench/e3nn_bench.py --threads 2 --reps "$REPS" --json "$OUT/e3nn2.json"
echo "load after: $(cat /proc/loadavg)" >&2
"$PY" tools/bench/table.py "${eqv[@]}" -- "${e1[@]}" -- "$OUT/e3nn2.json"
echo "(raw JSON in $OUT)" >&2
