#!/usr/bin/env bash
# eqv against MACE on the same extxyz files, the same machine and the same
# wall-clock budget (issue 11): test energy MAE (meV/atom), force MAE and
# RMSE (meV/Å) of both, in one table, with the machine's load.
#
#   tools/compare_mace.sh                  # 5 minutes per tool and data set
#   MINUTES=2 tools/compare_mace.sh        # shorter, for development
#   SETS="cuni" tools/compare_mace.sh      # one data set (si, cuni)
#
# Data sets:
#   si    the main job's default data (Stillinger-Weber silicon by MD, made by
#         eqv) and its split: `train_potential --write-sets` writes the
#         training, validation and test frames the main job uses;
#   cuni  tools/data/cuni_emt (Cu-Ni alloy bulk and clusters, ASE's EMT;
#         made by tools/data/make_cuni_emt.sh), its test file as the test and
#         validation blocks held out of its training file by the same split.
# Both tools read the same train/valid/test files (labels as REF_energy and
# REF_forces), validate on the same frames and are scored by the same script
# (tools/compare/errors.py) on the same test frames.
#
# eqv: the main job with its default recipe, `--max-minutes $MINUTES`.
# MACE: mace-torch from PyPI in a venv under /tmp (never a dependency of
# eqv), its standard CLI and two-stage recipe: MACE model, 32 channels,
# max_L 0, correlation 3, float32, EMA 0.99, amsgrad, stage two (--swa) from
# 75 % of the epochs. MACE has no time limit, so the number of epochs is
# chosen to fit the budget: a calibration epoch on every 5th training frame
# measures the time of a validation pass and of training steps under the
# current load, which gives the time of a full epoch; then
# max_num_epochs = budget / that (at least 1). Its wall time is printed next
# to eqv's, so an overrun shows.
#
# MACE runs with OMP_WAIT_POLICY=PASSIVE: PyTorch's OpenMP threads otherwise
# spin while they wait, and on a shared machine with more runnable threads
# than cores that made a MACE epoch ~10x slower (measured here: 198 s
# spinning, 22 s on one thread, 16 s with two passive threads for the same
# calibration epoch). eqv's rayon threads yield by themselves.
#
# Everything goes to $OUT (default: a fresh temporary directory); the table
# is also written to $OUT/table.md. Builds with $CARGO_TARGET_DIR if set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MINUTES=${MINUTES:-5}
SETS=${SETS:-"si cuni"}
CUTOFF=${CUTOFF:-4.0}
MACE_VERSION=${MACE_VERSION:-0.3.16}
VENV=${VENV:-/tmp/eqv-mace-venv}
OUT=${OUT:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/examples/train_potential"
mkdir -p "$OUT"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

if ! "$VENV/bin/python" -c "import mace, ase" 2>/dev/null; then
    log "installing mace-torch $MACE_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "mace-torch==$MACE_VERSION" ase
fi
PY="$VENV/bin/python"
export OMP_WAIT_POLICY=PASSIVE
log "building eqv's main job"
cargo build --release --example train_potential >&2

budget=$(awk -v m="$MINUTES" 'BEGIN { print m * 60 }')
rows=()
for set in $SETS; do
    dir="$OUT/$set"
    mkdir -p "$dir/raw"
    case "$set" in
    si) "$BIN" --write-sets "$dir/raw" >&2 ;;
    cuni) "$BIN" --data tools/data/cuni_emt/train.extxyz --test tools/data/cuni_emt/test.extxyz \
        --write-sets "$dir/raw" >&2 ;;
    *) echo "unknown data set $set (si, cuni)" >&2; exit 2 ;;
    esac
    for s in train valid test; do
        "$PY" tools/compare/prepare_sets.py "$dir/raw/$s.extxyz" "$dir/$s.extxyz" >&2
    done
    ntrain=$(grep -c Properties "$dir/train.extxyz")

    # eqv: the main job, default recipe.
    log "$set: eqv, $MINUTES min (load $(load))"
    before=$(load)
    t0=$(date +%s.%N)
    "$BIN" --data "$dir/train.extxyz" --valid "$dir/valid.extxyz" --test "$dir/test.extxyz" \
        --cutoff "$CUTOFF" --max-minutes "$MINUTES" --out "$dir/eqv" --quiet > "$dir/eqv.log"
    t1=$(date +%s.%N)
    after=$(load)
    eqv_err=$("$PY" tools/compare/errors.py "$dir/test.extxyz" "$dir/eqv/test_predictions.extxyz" eqv_energy eqv_forces)
    eqv_epochs=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['epochs'])" "$dir/eqv/report.json")
    rows+=("$set|eqv|$eqv_err|$eqv_epochs|$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')|$before → $after")
    log "$set: eqv done: $eqv_err, $eqv_epochs epochs"

    # MACE: one calibration epoch, then the budget's worth of epochs.
    common=(--train_file "$dir/train.extxyz" --valid_file "$dir/valid.extxyz"
        --E0s average --model MACE --num_channels 32 --max_L 0 --correlation 3
        --r_max "$CUTOFF" --batch_size 5 --ema --ema_decay 0.99 --amsgrad
        --default_dtype float32 --device cpu --seed 123
        --energy_key REF_energy --forces_key REF_forces --eval_interval 1)
    "$PY" - "$dir/train.extxyz" "$dir/calibrate.extxyz" <<'EOF'
import sys, ase.io
frames = ase.io.read(sys.argv[1], index=":")
keep = [a for i, a in enumerate(frames) if i % 5 == 0 or a.info.get("config_type") == "IsolatedAtom"]
ase.io.write(sys.argv[2], keep, format="extxyz")
EOF
    log "$set: MACE calibration epoch on every 5th training frame (load $(load))"
    "$VENV/bin/mace_run_train" --name calibrate --work_dir "$dir/mace_calibrate" "${common[@]}" \
        --train_file "$dir/calibrate.extxyz" --max_num_epochs 1 > "$dir/mace_calibrate.log" 2>&1
    per_epoch=$("$PY" - "$dir/mace_calibrate.log" "$dir/train.extxyz" "$dir/calibrate.extxyz" <<'EOF'
import re, sys
from datetime import datetime
stamps = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) INFO: (Started training|Initial|Epoch 0)", line)
    if m:
        stamps[m.group(2)] = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
valid = (stamps["Initial"] - stamps["Started training"]).total_seconds()
epoch = (stamps["Epoch 0"] - stamps["Initial"]).total_seconds()
count = lambda p: sum(1 for line in open(p) if "Properties=" in line)
print(f"{valid + (epoch - valid) * count(sys.argv[2]) / count(sys.argv[3]):.1f}")
EOF
)
    epochs=$(awk -v b="$budget" -v e="$per_epoch" 'BEGIN { n = int(b / e); if (n < 1) n = 1; print n }')
    swa=()
    if [ "$epochs" -ge 2 ]; then
        swa=(--swa --start_swa "$(awk -v n="$epochs" 'BEGIN { s = int(0.75 * n); if (s < 1) s = 1; if (s >= n) s = n - 1; print s }')")
    fi
    log "$set: MACE, ~$per_epoch s per epoch -> $epochs epochs, ${swa[*]:-no stage two} (load $(load))"
    before=$(load)
    t0=$(date +%s.%N)
    "$VENV/bin/mace_run_train" --name mace --work_dir "$dir/mace" "${common[@]}" \
        --max_num_epochs "$epochs" "${swa[@]}" > "$dir/mace.log" 2>&1
    t1=$(date +%s.%N)
    after=$(load)
    model="$dir/mace/mace_stagetwo.model"
    [ -f "$model" ] || model="$dir/mace/mace.model"
    "$VENV/bin/mace_eval_configs" --configs "$dir/test.extxyz" --model "$model" \
        --output "$dir/mace_test_predictions.extxyz" --device cpu --default_dtype float32 >> "$dir/mace.log" 2>&1
    mace_err=$("$PY" tools/compare/errors.py "$dir/test.extxyz" "$dir/mace_test_predictions.extxyz" MACE_energy MACE_forces)
    rows+=("$set|MACE $MACE_VERSION|$mace_err|$epochs|$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')|$before → $after")
    log "$set: MACE done: $mace_err"
    echo "$set: $ntrain training frames" >> "$OUT/sets.txt"
done

{
    echo "| data set | tool | test E MAE (meV/atom) | test F MAE (meV/Å) | test F RMSE (meV/Å) | epochs | wall time (s) | load average before → after |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    for r in "${rows[@]}"; do
        IFS='|' read -r set tool err epochs wall loads <<< "$r"
        "$PY" - "$set" "$tool" "$err" "$epochs" "$wall" "$loads" <<'EOF'
import json, sys
s, tool, err, epochs, wall, loads = sys.argv[1:7]
e = json.loads(err)
print(f"| {s} | {tool} | {e['energy_mae_mev_per_atom']:.2f} | {e['force_mae_mev_per_a']:.1f} | "
      f"{e['force_rmse_mev_per_a']:.1f} | {epochs} | {wall} | {loads} |")
EOF
    done
    echo
    echo "Budget $MINUTES min per tool and data set, cutoff $CUTOFF Å, $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)."
    cat "$OUT/sets.txt"
} | tee "$OUT/table.md"
log "files in $OUT"
