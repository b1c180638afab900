"""An ASE cell relaxation under the model converges to diamond silicon.

The calculator is trained on Stillinger-Weber silicon, whose diamond
lattice constant is 5.431 Å. A cell strained by several per cent (and
sheared, with rattled atoms) relaxed with BFGS on a FrechetCellFilter —
which needs the stress — must reach fmax in forces and stress, and end
near the cubic diamond lattice.
"""

import numpy as np
from ase.build import bulk
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS

from eqv import EqvCalculator


def test_cell_relaxation_of_strained_diamond_converges(model):
    atoms = bulk("Si", "diamond", a=5.431, cubic=True)
    strain = np.array([[0.04, 0.02, 0.0], [0.02, -0.03, 0.0], [0.0, 0.0, 0.02]])
    atoms.set_cell(atoms.cell[:] @ (np.eye(3) + strain), scale_atoms=True)
    atoms.rattle(0.03, seed=1)
    atoms.calc = EqvCalculator(model=model)
    start = np.abs(atoms.get_stress()).max()

    fmax = 0.01  # eV/Å; the filter scales the stress by the volume to match
    opt = BFGS(FrechetCellFilter(atoms), logfile=None)
    assert opt.run(fmax=fmax, steps=300), f"no convergence in {opt.nsteps} steps"

    assert np.abs(atoms.get_forces()).max() < fmax
    stress = atoms.get_stress()
    assert np.abs(stress).max() < 1e-3 < start, "eV/Å³: the strained cell was far from it"
    # Back to cubic diamond: equal edges, right angles, a close to SW's.
    lengths, angles = atoms.cell.cellpar()[:3], atoms.cell.cellpar()[3:]
    assert lengths.max() - lengths.min() < 0.02
    np.testing.assert_allclose(angles, 90.0, atol=0.5)
    # The 30-second model's lattice constant is within ~1.5 % of SW's.
    assert abs(lengths.mean() - 5.431) < 0.15, f"a = {lengths.mean():.3f} Å"
