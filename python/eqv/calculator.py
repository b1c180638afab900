"""An eqv model as an ASE calculator.

ASE drives molecular dynamics, relaxations and phonons through
``Calculator``: it calls ``calculate`` only when ``check_state`` reports
that the atoms changed since the last call (positions, numbers, cell or
pbc), so a step that asks for energy, forces and stress evaluates the
model once. One evaluation fills every property, because the stress comes
from the same backward pass as the forces.
"""

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

from ._model import Model, load


class EqvCalculator(Calculator):
    """ASE calculator of a trained eqv potential.

    ``EqvCalculator("run_dir")`` loads a checkpoint (a ``model.safetensors``
    file or a training run's ``--out`` directory);
    ``EqvCalculator(model=eqv.load(...))`` shares a loaded model between
    calculators.

    Units are ASE's: energy and free_energy in eV (equal: the model has no
    electronic entropy), forces in eV/Å, stress in eV/Å³ as the Voigt
    6-vector xx yy zz yz xz xy, positive under tension. The stress exists
    for cells periodic in all three directions; for other systems
    ``get_stress`` raises ``PropertyNotImplementedError``.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]
    default_parameters = {}

    def __init__(self, model_path=None, *, model=None, **kwargs):
        if (model_path is None) == (model is None):
            raise TypeError("give EqvCalculator a checkpoint path or model=, not both")
        if model is None:
            model = load(model_path)
        elif not isinstance(model, Model):
            raise TypeError(f"model= must be an eqv.Model (eqv.load(path)), got {type(model).__name__}")
        self.model = model
        super().__init__(**kwargs)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        # Stores a copy of the atoms, against which check_state compares the
        # next call's atoms.
        super().calculate(atoms, properties, system_changes)
        a = self.atoms
        pbc = [bool(p) for p in a.pbc]
        # A cell matters only along periodic directions: a molecule has
        # ASE's zero cell, or a box that is not a lattice.
        cell = np.array(a.cell) if any(pbc) else None
        out = self.model.predict(a.numbers, a.positions, cell, pbc)
        self.results = {
            "energy": out["energy"],
            "free_energy": out["energy"],
            "forces": out["forces"],
        }
        if "stress" in out:
            self.results["stress"] = out["stress"]
