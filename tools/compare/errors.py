"""Test errors of predictions, computed the same way for every tool.

    python errors.py REF.extxyz PRED.extxyz ENERGY_KEY FORCES_KEY

REF holds the labels (REF_energy, REF_forces), PRED the same frames in the
same order with a tool's predictions under ENERGY_KEY (comment line) and
FORCES_KEY (a column). Prints one JSON object: energy MAE per atom
(meV/atom, mean over frames of |ΔE|/N), force MAE and RMSE over every
Cartesian component (meV/Å) — the numbers NequIP and MACE papers report.
Isolated atoms (config_type=IsolatedAtom) are not test frames and are
skipped.
"""

import json
import sys

import ase.io
import numpy as np


def main(ref_path, pred_path, energy_key, forces_key):
    ref = ase.io.read(ref_path, index=":")
    pred = ase.io.read(pred_path, index=":")
    if len(ref) != len(pred):
        sys.exit(f"{pred_path}: {len(pred)} frames, {ref_path}: {len(ref)}")
    de, df = [], []
    for r, p in zip(ref, pred):
        if r.info.get("config_type") == "IsolatedAtom":
            continue
        if not np.array_equal(r.numbers, p.numbers):
            sys.exit("the prediction file holds other structures than the reference")
        n = len(r)
        de.append(abs(float(p.info[energy_key]) - float(r.info["REF_energy"])) / n)
        df.append((np.asarray(p.arrays[forces_key]) - np.asarray(r.arrays["REF_forces"])).ravel())
    df = np.concatenate(df)
    print(
        json.dumps(
            {
                "frames": len(de),
                "energy_mae_mev_per_atom": 1e3 * float(np.mean(de)),
                "force_mae_mev_per_a": 1e3 * float(np.mean(np.abs(df))),
                "force_rmse_mev_per_a": 1e3 * float(np.sqrt(np.mean(df**2))),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:5])
