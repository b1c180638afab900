"""ASE molecular dynamics with the calculator conserves energy.

Velocity Verlet is symplectic: with exact forces (F = −∇E, which eqv
guarantees) the total energy only fluctuates, at O(dt²), and does not
drift. Inexact forces, or a calculator that returns stale results after
the atoms moved, show up here as a drift or jumps.
"""

import numpy as np
from ase import units
from ase.build import bulk
from ase.md.velocitydistribution import Stationary
from ase.md.verlet import VelocityVerlet

from eqv import EqvCalculator


def test_velocity_verlet_conserves_energy(model):
    atoms = bulk("Si", "diamond", a=5.431, cubic=True).repeat((2, 2, 2))
    atoms.calc = EqvCalculator(model=model)
    # Maxwell-Boltzmann momenta at 1000 K (equipartition brings the atoms
    # to about 500 K), without the centre-of-mass drift.
    kt = units.kB * 1000
    gauss = np.random.default_rng(7).standard_normal((len(atoms), 3))
    atoms.set_momenta(gauss * np.sqrt(atoms.get_masses() * kt)[:, None])
    Stationary(atoms)
    n = len(atoms)
    dyn = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    times, etot, epot = [], [], []

    def record():
        times.append(dyn.get_time() / units.fs)
        epot.append(atoms.get_potential_energy() / n)
        etot.append(atoms.get_total_energy() / n)

    dyn.attach(record, interval=1)
    dyn.run(200)
    times, etot, epot = map(np.asarray, (times, etot, epot))

    # The atoms really moved: kinetic energy went into the potential.
    assert epot.max() - epot.min() > 5e-3, "eV/atom exchanged between E_kin and E_pot"
    # Fluctuations of the total energy stay small (~0.1 meV/atom at 1 fs;
    # a 4 fs step, or stale forces, breaks this bound) ...
    assert np.abs(etot - etot[0]).max() < 1e-3, "eV/atom"
    # ... and it does not drift: least-squares slope in eV/atom/ps.
    slope = np.polyfit(times, etot, 1)[0] * 1000
    assert abs(slope) < 5e-4, f"drift {slope:.2e} eV/atom/ps"
