"""Copies extxyz files with their energies and forces under MACE's keys.

    python prepare_sets.py IN.extxyz OUT.extxyz

Energies and forces may be stored under any key ASE understands (`energy=`
on the comment line and a `forces` column become a SinglePointCalculator;
`REF_energy` and `REF_forces` stay in info/arrays). The copy holds them as
`REF_energy` and `REF_forces` (what MACE reads by default and eqv reads too)
and nothing else of the calculator, so both tools train on exactly the same
numbers and neither picks up a stress it was not meant to train on.
"""

import sys

import ase.io
import numpy as np
from ase import Atoms


def labels(atoms):
    if "REF_energy" in atoms.info:
        energy = float(atoms.info["REF_energy"])
    else:
        energy = float(atoms.get_potential_energy())
    if "REF_forces" in atoms.arrays:
        forces = np.array(atoms.arrays["REF_forces"])
    else:
        forces = np.array(atoms.get_forces())
    return energy, forces


def main(src, dst):
    out = []
    for atoms in ase.io.read(src, index=":"):
        energy, forces = labels(atoms)
        copy = Atoms(
            numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc
        )
        for key in ("config_type", "run"):
            if key in atoms.info:
                copy.info[key] = atoms.info[key]
        copy.info["REF_energy"] = energy
        copy.arrays["REF_forces"] = forces
        out.append(copy)
    ase.io.write(dst, out, format="extxyz")
    print(f"{dst}: {len(out)} frames")


if __name__ == "__main__":
    main(*sys.argv[1:3])
