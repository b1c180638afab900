"""Cu-Ni alloy data labelled by ASE's EMT potential: a data set eqv has never seen.

Another element pair (copper and nickel, two species), another potential (EMT,
an embedded-atom-like many-body potential) and other geometries (fcc alloy
bulk with and without a vacancy, and finite truncated-octahedron clusters with
surfaces) than the default Stillinger-Weber silicon. Run by make_cuni_emt.sh,
which installs ASE into a venv; from the repository root:

    tools/data/make_cuni_emt.sh

Writes tools/data/cuni_emt/{train,test}.extxyz with energies and forces under
MACE's keys (REF_energy, REF_forces; eqv reads them too), a `run` index per
frame (the trajectory, so splits can hold out whole time blocks) and a
`config_type`. The test file holds the *last* frames of every trajectory,
after a gap of frames that go nowhere, so no test frame is a near-copy of a
training frame. The training file starts with one isolated atom of each
element (config_type=IsolatedAtom), the reference energies E0 that MACE and
eqv take from the data when present.

Everything is seeded: re-running with the same ASE version writes the same
files.
"""

import os

import numpy as np
import ase
import ase.io
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.cluster import Octahedron
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cuni_emt")

EQUILIBRATE = 200  # MD steps before the first sample
EVERY = 20  # steps between samples (40 fs: nearly decorrelated)
FRAMES = 64  # samples per trajectory
TRAIN = 48  # the first TRAIN frames of a trajectory train
GAP = 4  # then GAP frames are dropped; the rest is the test
DT_FS = 2.0


def alloy_bulk(ni_fraction, vacancy, rng):
    """A 2x2x2 cubic fcc cell (32 sites) of random Cu/Ni, Vegard's lattice
    constant, optionally one site removed."""
    a = (1 - ni_fraction) * 3.61 + ni_fraction * 3.52
    atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat((2, 2, 2))
    n_ni = int(round(ni_fraction * len(atoms)))
    numbers = np.array([29] * (len(atoms) - n_ni) + [28] * n_ni)
    rng.shuffle(numbers)
    atoms.numbers = numbers
    if vacancy:
        del atoms[int(rng.integers(len(atoms)))]
    return atoms


def alloy_cluster(ni_fraction, rng):
    """A 38-atom truncated octahedron of random Cu/Ni, no cell."""
    atoms = Octahedron("Cu", 4, cutoff=1, latticeconstant=3.58)
    n_ni = int(round(ni_fraction * len(atoms)))
    numbers = np.array([29] * (len(atoms) - n_ni) + [28] * n_ni)
    rng.shuffle(numbers)
    atoms.numbers = numbers
    atoms.center()
    atoms.pbc = False
    atoms.cell = None
    return atoms


def labelled(atoms, run, config_type, temperature):
    """A copy carrying the EMT energy and forces under MACE's keys."""
    out = Atoms(
        numbers=atoms.numbers, positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc
    )
    out.info["REF_energy"] = float(atoms.get_potential_energy())
    out.arrays["REF_forces"] = atoms.get_forces().copy()
    out.info["config_type"] = config_type
    out.info["run"] = run
    out.info["temperature_K"] = temperature
    return out


def trajectory(atoms, temperature, seed, run, config_type):
    atoms = atoms.copy()
    atoms.calc = EMT()
    MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=np.random.default_rng(seed))
    md = Langevin(
        atoms,
        DT_FS * units.fs,
        temperature_K=temperature,
        friction=0.02 / units.fs,
        rng=np.random.default_rng(seed + 1),
    )
    md.run(EQUILIBRATE)
    frames = []
    for _ in range(FRAMES):
        md.run(EVERY)
        frames.append(labelled(atoms, run, config_type, temperature))
    return frames


def isolated(symbol):
    atoms = Atoms(symbol, positions=[[0.0, 0.0, 0.0]])
    atoms.calc = EMT()
    out = Atoms(symbol, positions=[[0.0, 0.0, 0.0]])
    out.info["REF_energy"] = float(atoms.get_potential_energy())
    out.arrays["REF_forces"] = np.zeros((1, 3))
    out.info["config_type"] = "IsolatedAtom"
    return out


def main():
    rng = np.random.default_rng(2026)
    runs = []
    for t in (600.0, 1200.0):
        runs.append(("bulk", alloy_bulk(0.5, False, rng), t))
        runs.append(("bulk_vacancy", alloy_bulk(0.25, True, rng), t))
    for t in (400.0, 800.0):
        runs.append(("cluster", alloy_cluster(0.5, rng), t))
        runs.append(("cluster", alloy_cluster(0.25, rng), t))
    train, test = [isolated("Cu"), isolated("Ni")], []
    for run, (kind, atoms, t) in enumerate(runs):
        frames = trajectory(atoms, t, 100 + run, run, kind)
        train += frames[:TRAIN]
        test += frames[TRAIN + GAP :]
        print(f"run {run}: {kind}, {len(atoms)} atoms, {t:.0f} K, {len(frames)} frames")
    os.makedirs(OUT, exist_ok=True)
    for name, frames in (("train", train), ("test", test)):
        path = os.path.join(OUT, f"{name}.extxyz")
        ase.io.write(path, frames, format="extxyz")
        print(f"wrote {len(frames)} frames to {path}")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(
            "Cu-Ni alloy data labelled by ASE's EMT calculator (ASE "
            f"{ase.__version__}), made by tools/data/make_cuni_emt.sh: "
            f"{len(runs)} Langevin MD trajectories (fcc bulk 32 sites, with and "
            "without a vacancy, at 600 and 1200 K; 38-atom truncated-octahedron "
            "clusters at 400 and 800 K), "
            f"{FRAMES} frames each {EVERY * DT_FS:.0f} fs apart. train.extxyz: the "
            f"first {TRAIN} frames of every trajectory and one isolated atom per "
            f"element (config_type=IsolatedAtom); test.extxyz: the last "
            f"{FRAMES - TRAIN - GAP} frames of every trajectory ({GAP} frames "
            "between them dropped). Keys: REF_energy (eV), REF_forces (eV/Å), "
            "run, config_type, temperature_K.\n"
        )


if __name__ == "__main__":
    main()
