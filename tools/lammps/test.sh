#!/usr/bin/env bash
# pair_style eqv against eqv's own MD: a 100-step NVE run of a displaced
# 3x3x3 diamond silicon cell (216 atoms) with a freshly trained two-layer
# model, in LAMMPS on 1 and on 2 MPI ranks, must give the same potential
# and kinetic energies and the same forces at every step to 1e-8.
#
# Needs Debian's lammps, liblammps-dev, libfmt-dev and OpenMPI (.ci/run
# installs them). Run from the repository root: tools/lammps/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/lammps-check
rm -rf "$work" && mkdir -p "$work"

echo "== libeqv_lammps.so and the comparison tool"
cargo build --release -p eqv-lammps --lib --example lammps_md_check
echo "== lmp_eqv (LAMMPS with pair_style eqv)"
make -C eqv-lammps/lammps EQV_LIB_DIR="$target/release" lmp_eqv
lmp="$root/eqv-lammps/lammps/lmp_eqv"

echo "== a two-layer model (receptive field 2 x 4 A), trained briefly"
cargo run --release --example train_potential -- --smoke --model nequip --layers 2 --md-steps 0 \
    --quiet --out "$work/model" >"$work/train.log"

echo "== eqv's own NVE run (the reference)"
"$target/release/examples/lammps_md_check" prepare --model "$work/model" --dir "$work"

status=0
echo "== a missing checkpoint is a clean LAMMPS error that names it"
if (cd "$work" && "$lmp" -in "$root/tools/lammps/in.nve" -var model /nonexistent/model.safetensors \
    -var data start.data -log none -screen missing.out); then
    echo "FAIL: LAMMPS accepted a missing checkpoint"; status=1
fi
grep "ERROR: pair_style eqv: .*nonexistent" "$work/missing.out" \
    || { echo "FAIL: no error naming the checkpoint"; cat "$work/missing.out"; status=1; }

for ranks in 1 2; do
    run="$work/np$ranks"
    mkdir -p "$run"
    echo "== LAMMPS on $ranks rank(s)"
    start=$SECONDS
    if ! (cd "$run" && mpirun -np "$ranks" --allow-run-as-root --oversubscribe \
        "$lmp" -in "$root/tools/lammps/in.nve" -var model "$work/model/model.safetensors" \
        -var data "$work/start.data" -log log.lammps -screen none); then
        echo "FAIL: LAMMPS on $ranks rank(s) stopped; the end of its log:"
        tail -n 20 "$run/log.lammps" || true
        status=1
        continue
    fi
    echo "LAMMPS on $ranks rank(s): $((SECONDS - start)) s"
    grep -E "MPI processor grid|ghost cutoff|pair_style eqv|Loop time" "$run/log.lammps" || true
    if [ "$ranks" = 2 ]; then
        grep -q "2 by 1 by 1 MPI processor grid" "$run/log.lammps" \
            || { echo "FAIL: the box was not split between 2 ranks"; status=1; }
    fi
    "$target/release/examples/lammps_md_check" compare --dir "$work" --run "$run" || status=1
done
exit $status
