"""Writes the extended XYZ fixtures of eqv-core's data tests with ASE.

Run from the repository root:

    python3 tools/data/make_ase_fixtures.py

It writes small files into eqv-core/tests/data/ with `ase.io.write(...,
format="extxyz")`, reads them back with `ase.io.read`, and records what ASE
sees (numbers, positions, cell, pbc, energy, forces, stress, info, arrays) in
eqv-core/tests/data/ase_expected.json. The Rust tests compare eqv's reader
against that JSON, so the expected numbers come from ASE, not from eqv.

Everything is seeded; re-running gives byte-identical files for a given ASE
version (the files in the repository were made with the version recorded in
the JSON).
"""

import json
import os

import numpy as np
import ase
import ase.io
from ase import Atoms
from ase.build import bulk, molecule
from ase.calculators.singlepoint import SinglePointCalculator

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "eqv-core", "tests", "data")


def si_periodic():
    """Two rattled 8-atom diamond Si cells with energy, forces and stress."""
    rng = np.random.default_rng(7)
    frames = []
    for k, a in enumerate([5.431, 5.50]):
        atoms = bulk("Si", "diamond", a=a, cubic=True)
        atoms.positions += rng.normal(scale=0.05, size=atoms.positions.shape)
        forces = rng.normal(scale=0.5, size=(len(atoms), 3))
        forces -= forces.mean(axis=0)
        stress = rng.normal(scale=0.01, size=6)  # Voigt xx yy zz yz xz xy
        energy = -4.3366 * len(atoms) + 0.1 * k
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, stress=stress)
        frames.append(atoms)
    return frames


def molecules_ref():
    """H2O, CH4, NH3, CO2 with MACE-style REF_energy / REF_forces labels."""
    rng = np.random.default_rng(11)
    frames = []
    for name in ["H2O", "CH4", "NH3", "CO2"]:
        atoms = molecule(name)
        atoms.positions += rng.normal(scale=0.02, size=atoms.positions.shape)
        atoms.info["REF_energy"] = float(rng.normal(-50.0, 20.0))
        atoms.info["config_type"] = "molecule"
        atoms.arrays["REF_forces"] = rng.normal(scale=0.3, size=(len(atoms), 3))
        frames.append(atoms)
    return frames


def extra_info():
    """A triclinic, partly periodic cell with many kinds of info and arrays."""
    rng = np.random.default_rng(5)
    cell = [[4.0, 0.0, 0.0], [1.3, 4.2, 0.0], [0.4, -0.7, 12.0]]
    atoms = Atoms(
        "Si2O4H2",
        scaled_positions=rng.uniform(size=(8, 3)),
        cell=cell,
        pbc=[True, True, False],
    )
    atoms.set_tags(np.arange(8) % 3)
    atoms.arrays["charge"] = rng.normal(size=8)
    atoms.arrays["dipole"] = rng.normal(size=(8, 3))
    atoms.arrays["fixed"] = np.array([True, False] * 4)
    atoms.arrays["label"] = np.array(["a", "b", "c", "d", "e", "f", "g", "h"])
    atoms.info["comment"] = "made by make_ase_fixtures.py"
    atoms.info["step"] = 42
    atoms.info["temperature"] = 300.5
    atoms.info["converged"] = True
    atoms.info["kpts"] = np.array([4, 4, 1])
    atoms.info["weights"] = np.array([0.5, 1.5, 2.0])
    atoms.calc = SinglePointCalculator(
        atoms,
        energy=-31.25,
        forces=rng.normal(scale=0.2, size=(8, 3)),
        stress=rng.normal(scale=0.005, size=6),
    )
    return [atoms]


def jsonable(x):
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x


def describe(atoms):
    """What ASE reads back from a file: the reference for eqv's reader."""
    d = {
        "numbers": atoms.numbers.tolist(),
        "positions": atoms.positions.tolist(),
        "cell": atoms.cell.array.tolist(),
        "pbc": atoms.pbc.tolist(),
        "info": {k: jsonable(v) for k, v in atoms.info.items()},
        "arrays": {
            k: jsonable(v) for k, v in atoms.arrays.items() if k not in ("numbers", "positions")
        },
    }
    if atoms.calc is not None:
        res = atoms.calc.results
        if "energy" in res:
            d["energy"] = float(res["energy"])
        if "forces" in res:
            d["forces"] = res["forces"].tolist()
        if "stress" in res:
            d["stress"] = atoms.get_stress(voigt=False).tolist()
        # ASE turns some columns (e.g. "charge", "dipole") into calculator
        # results; eqv keeps them as columns. Record them all.
        d["calc_results"] = {k: jsonable(v) for k, v in res.items()}
    return d


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"ase_version": ase.__version__, "files": {}}
    for name, frames in [
        ("si_periodic.extxyz", si_periodic()),
        ("molecules_ref.extxyz", molecules_ref()),
        ("extra_info.extxyz", extra_info()),
    ]:
        path = os.path.join(OUT, name)
        ase.io.write(path, frames, format="extxyz")
        back = ase.io.read(path, index=":", format="extxyz")
        expected["files"][name] = [describe(a) for a in back]
        print(f"wrote {path}: {len(frames)} frames")
    with open(os.path.join(OUT, "ase_expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
