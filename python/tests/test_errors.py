"""Bad input is a Python exception that says what is wrong, never a panic
(pyo3 would turn a Rust panic into a PanicException, a BaseException that
``except Exception`` does not catch)."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

import eqv
from eqv import EqvCalculator


def si8():
    atoms = bulk("Si", "diamond", a=5.431, cubic=True)
    return atoms.numbers, atoms.positions, atoms.cell[:]


def test_missing_or_damaged_checkpoints(tmp_path):
    with pytest.raises(FileNotFoundError, match="no eqv checkpoint"):
        eqv.load(tmp_path / "nothing.safetensors")
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        eqv.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        EqvCalculator(tmp_path / "nothing")
    damaged = tmp_path / "model.safetensors"
    damaged.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    with pytest.raises(ValueError):
        eqv.load(damaged)


def test_truncated_checkpoint(model_dir, tmp_path):
    data = (model_dir / "model.safetensors").read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        eqv.load(cut)


def test_unknown_species(model):
    numbers, positions, cell = si8()
    numbers = numbers.copy()
    numbers[3] = 6
    with pytest.raises(ValueError, match=r"element C \(Z = 6\)"):
        model.predict(numbers, positions, cell)
    atoms = Atoms("SiO", positions=[[0, 0, 0], [1.6, 0, 0]])
    atoms.calc = EqvCalculator(model=model)
    with pytest.raises(ValueError, match=r"element O \(Z = 8\) is not among the species \[\"Si\"\]"):
        atoms.get_potential_energy()


@pytest.mark.parametrize(
    "bad, match",
    [
        ([0, 14], r"numbers\[0\] = 0 is not an atomic number"),
        ([14, 300], r"numbers\[1\] = 300"),
        ([14, -1], r"numbers\[1\] = -1"),
        ([14.0, 14.0], "integers"),
        ([[14, 14]], "1-D"),
        (["Si", "Si"], "integers"),
    ],
)
def test_bad_atomic_numbers(model, bad, match):
    with pytest.raises(ValueError, match=match):
        model.predict(bad, [[0, 0, 0], [1.5, 1.5, 1.5]])


def test_wrong_shapes(model):
    numbers, positions, cell = si8()
    with pytest.raises(ValueError, match=r"positions must have shape \(8, 3\)"):
        model.predict(numbers, positions[:7], cell)
    with pytest.raises(ValueError, match=r"positions must have shape \(8, 3\)"):
        model.predict(numbers, positions[:, :2], cell)
    with pytest.raises(ValueError, match=r"cell must have shape \(3, 3\)"):
        model.predict(numbers, positions, [5.431, 5.431, 5.431])
    with pytest.raises(ValueError, match="pbc"):
        model.predict(numbers, positions, cell, pbc=[True, True])
    with pytest.raises(ValueError, match="pbc"):
        model.predict(numbers, positions, cell, pbc="yes")
    with pytest.raises(ValueError, match="positions"):
        model.predict(numbers, [["a", "b", "c"]] * 8, cell)


def test_non_finite_input(model):
    numbers, positions, cell = si8()
    for bad in (np.nan, np.inf):
        p = positions.copy()
        p[2, 1] = bad
        with pytest.raises(ValueError, match="finite"):
            model.predict(numbers, p, cell)
        c = cell.copy()
        c[0, 0] = bad
        with pytest.raises(ValueError, match="finite"):
            model.predict(numbers, positions, c)
    atoms = bulk("Si", "diamond", a=5.431, cubic=True)
    atoms.positions[0] = np.nan
    atoms.calc = EqvCalculator(model=model)
    with pytest.raises(ValueError, match="finite"):
        atoms.get_forces()


def test_inconsistent_cells(model):
    numbers, positions, _ = si8()
    with pytest.raises(ValueError, match="no cell"):
        model.predict(numbers, positions, pbc=True)
    with pytest.raises(ValueError):
        model.predict(numbers, positions, np.zeros((3, 3)))
    flat = np.diag([5.431, 5.431, 0.0])
    with pytest.raises(ValueError):
        model.predict(numbers, positions, flat)


def test_the_native_class_is_not_built_by_hand():
    with pytest.raises(TypeError):
        eqv.Model(object())
