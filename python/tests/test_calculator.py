"""The ASE calculator's contract: properties, units, and when it recomputes."""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.fd import calculate_numerical_forces, calculate_numerical_stress

from eqv import EqvCalculator


class CountingModel:
    """An eqv.Model that counts its evaluations."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def predict(self, *args):
        self.calls += 1
        return self.model.predict(*args)


def silicon(model, rattle=0.05, shear=0.03):
    atoms = bulk("Si", "diamond", a=5.43, cubic=True)
    deform = np.eye(3) + shear * np.array([[0, 1, 0], [0, 0, 0], [1, 0, 0]])
    atoms.set_cell(atoms.cell[:] @ deform, scale_atoms=True)
    atoms.rattle(rattle, seed=3)
    atoms.calc = EqvCalculator(model=model)
    return atoms


def counting(atoms):
    counter = CountingModel(atoms.calc.model)
    atoms.calc.model = counter
    return counter


def test_one_evaluation_per_structure(model):
    atoms = silicon(model)
    counter = counting(atoms)
    atoms.get_potential_energy()
    atoms.get_forces()
    atoms.get_stress()
    atoms.get_potential_energy(force_consistent=True)
    assert counter.calls == 1
    atoms.positions[0, 0] += 1e-3
    atoms.get_forces()
    assert counter.calls == 2
    atoms.set_cell(atoms.cell[:] * 1.001, scale_atoms=True)
    atoms.get_stress()
    assert counter.calls == 3
    atoms.pbc = [True, True, False]
    atoms.get_potential_energy()
    assert counter.calls == 4
    atoms.get_forces()
    assert counter.calls == 4


def test_forces_and_stress_are_derivatives_of_the_energy(model):
    atoms = silicon(model)
    forces, stress = atoms.get_forces(), atoms.get_stress()
    assert np.abs(forces).max() > 1e-3 and np.abs(stress).max() > 1e-4, "a non-trivial point"
    numeric_f = calculate_numerical_forces(atoms, eps=1e-5)
    np.testing.assert_allclose(forces, numeric_f, rtol=0, atol=1e-6)
    # ASE strains the cell component by component: this checks the Voigt
    # order (xx yy zz yz xz xy) and the sign (positive under tension).
    numeric_s = calculate_numerical_stress(atoms, eps=1e-5, voigt=True)
    np.testing.assert_allclose(stress, numeric_s, rtol=0, atol=1e-7)


def test_translation_and_permutation_leave_the_energy(model):
    atoms = silicon(model)
    e, f = atoms.get_potential_energy(), atoms.get_forces()
    moved = atoms.copy()
    moved.calc = EqvCalculator(model=model)
    moved.translate([0.3, -1.1, 7.0])
    assert moved.get_potential_energy() == pytest.approx(e, abs=1e-9)
    order = np.random.default_rng(0).permutation(len(atoms))
    shuffled = atoms[order]
    shuffled.calc = EqvCalculator(model=model)
    assert shuffled.get_potential_energy() == pytest.approx(e, abs=1e-9)
    np.testing.assert_allclose(shuffled.get_forces(), f[order], atol=1e-9)


def test_no_stress_without_a_periodic_cell(model):
    atoms = silicon(model)
    atoms.pbc = False
    atoms.get_forces()
    with pytest.raises(PropertyNotImplementedError):
        atoms.get_stress()
    slab = silicon(model)
    slab.pbc = [True, True, False]
    with pytest.raises(PropertyNotImplementedError):
        slab.get_stress()


def test_constructor_takes_a_path_or_a_model(model, model_dir):
    by_path = EqvCalculator(model_dir)
    by_file = EqvCalculator(str(model_dir / "model.safetensors"))
    assert by_path.model.species == by_file.model.species == [14]
    with pytest.raises(TypeError):
        EqvCalculator()
    with pytest.raises(TypeError):
        EqvCalculator(model_dir, model=model)
    with pytest.raises(TypeError):
        EqvCalculator(model="not a model")
