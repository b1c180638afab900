#!/usr/bin/env bash
# eqv against e3nn on the same machine in the same run: the workloads of
# issue 7 (examples/bench_vs_e3nn.rs for eqv, tools/bench/e3nn_bench.py for
# e3nn on one torch thread), alternated for ROUNDS rounds (eqv on the cores,
# eqv on one thread, e3nn, ...); prints one table of times and ratios (tools/bench/table.py)
# with one core's FMA peak, the fully connected product's fraction of it,
# the NequIP system's edge counts, eqv-vs-e3nn differences on identical
# inputs, and the load average before and after.
#
#   tools/bench/compare.sh                # uses $E3NN_PYTHON or /tmp/e3nn-venv
#   ROUNDS=3 REPS=15 BUDGET=5 tools/bench/compare.sh
#   E3NN_2THREADS=1 tools/bench/compare.sh   # plus one e3nn round on 2 threads
#
# REPS calls per workload and round (fewer once BUDGET seconds of calls are
# spent, never fewer than 3); the median of each round, the best round in
# the table. Builds with $CARGO_TARGET_DIR if set. Raw JSON, the data files
# and the table go to $OUT (default: a fresh temporary directory).
#
# Set up the Python side once (CPU wheels from PyPI; not a dependency of eqv):
#   python3 -m venv /tmp/e3nn-venv && /tmp/e3nn-venv/bin/pip install e3nn torch
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${E3NN_PYTHON:-/tmp/e3nn-venv/bin/python}
ROUNDS=${ROUNDS:-2}
REPS=${REPS:-15}
BUDGET=${BUDGET:-5}
OUT=${OUT:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/examples/bench_vs_e3nn"
"$PY" -c "import e3nn, torch" || {
    echo "e3nn/torch not importable with $PY; see the header of $0" >&2
    exit 1
}
mkdir -p "$OUT"
cargo build --release --example bench_vs_e3nn >&2
# Inputs both sides use: the NequIP structure and edge list, and small
# check problems with eqv's results.
"$BIN" --write-data "$OUT" >&2
before=$(cat /proc/loadavg)
echo "load before: $before" >&2
eqv=() e1=() q1=()
for r in $(seq 1 "$ROUNDS"); do
    checks=()
    [ "$r" -gt 1 ] && checks=(--no-checks)
    "$BIN" --reps "$REPS" --budget "$BUDGET" --json "$OUT/eqv_$r.json"
    RAYON_NUM_THREADS=1 "$BIN" --reps "$REPS" --budget "$BUDGET" --json "$OUT/eqv1t_$r.json"
    "$PY" tools/bench/e3nn_bench.py --threads 1 --reps "$REPS" --budget "$BUDGET" \
        --data "$OUT" "${checks[@]}" --json "$OUT/e3nn1_$r.json"
    eqv+=("$OUT/eqv_$r.json") e1+=("$OUT/e3nn1_$r.json") q1+=("$OUT/eqv1t_$r.json")
    echo "round $r done, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
e2=()
if [ "${E3NN_2THREADS:-0}" = 1 ]; then
    "$PY" tools/bench/e3nn_bench.py --threads 2 --reps "$REPS" --budget "$BUDGET" \
        --data "$OUT" --no-checks --json "$OUT/e3nn2.json"
    e2=(-- "$OUT/e3nn2.json")
fi
after=$(cat /proc/loadavg)
echo "load after: $after" >&2
{
    "$PY" tools/bench/table.py "${eqv[@]}" -- "${e1[@]}" -- "${q1[@]}" "${e2[@]}"
    echo "Load average (1, 5, 15 min) before: $(echo "$before" | cut -d' ' -f1-3), after: $(echo "$after" | cut -d' ' -f1-3); $ROUNDS rounds, REPS=$REPS, BUDGET=$BUDGET s"
} | tee "$OUT/table.md"
echo "(raw JSON, data files and table.md in $OUT)" >&2
