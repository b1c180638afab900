"""Python predicts what the Rust tool predicts.

``eqv evaluate`` writes its predictions (``eqv_energy``, ``eqv_forces``,
``eqv_stress``) to extended XYZ; the calculator, given the very positions
and cells of that file, must agree to 1e-10 in double precision on
periodic cells (cubic, strained, sheared), clusters and a slab.
"""

import ase.io
import numpy as np
from eqv import EqvCalculator

from conftest import run_eqv


def frames_to_check(model_dir):
    data = ase.io.read(model_dir / "silicon_sw.extxyz", index=":")
    periodic = [a for a in data if a.pbc.all()]
    finite = [a for a in data if not a.pbc.any()]
    assert len(periodic) >= 3 and finite, "the generated data has bulk and cluster frames"
    sheared = [a for a in periodic if abs(a.cell[0, 1]) + abs(a.cell[1, 0]) > 1e-6]
    picked = [periodic[0], periodic[len(periodic) // 2], periodic[-1], finite[0]]
    picked += sheared[:1]
    slab = periodic[1].copy()
    slab.pbc = [True, True, False]
    picked.append(slab)
    for a in picked:
        a.calc = None
    return picked


def test_calculator_agrees_with_eqv_evaluate(model_dir, model, tmp_path):
    frames = frames_to_check(model_dir)
    ase.io.write(tmp_path / "in.extxyz", frames, format="extxyz")
    run_eqv(
        "evaluate", "--model", model_dir, "--data", tmp_path / "in.extxyz",
        "--out", tmp_path / "pred.extxyz",
    )
    predicted = ase.io.read(tmp_path / "pred.extxyz", index=":")
    assert len(predicted) == len(frames)
    n_stress = 0
    for i, rust in enumerate(predicted):
        atoms = rust.copy()  # the positions exactly as the tool read them
        atoms.calc = EqvCalculator(model=model)
        e_rust = rust.info["eqv_energy"]
        f_rust = rust.arrays["eqv_forces"]
        assert abs(atoms.get_potential_energy() - e_rust) <= 1e-10 * max(1.0, abs(e_rust)), i
        assert atoms.get_potential_energy() == atoms.get_potential_energy(force_consistent=True)
        np.testing.assert_allclose(atoms.get_forces(), f_rust, rtol=0, atol=1e-10, err_msg=str(i))
        if rust.pbc.all():
            s_rust = np.asarray(rust.info["eqv_stress"], dtype=float).reshape(3, 3)
            np.testing.assert_allclose(
                atoms.get_stress(voigt=False), s_rust, rtol=0, atol=1e-10, err_msg=str(i)
            )
            n_stress += 1
        else:
            assert "eqv_stress" not in rust.info
    assert n_stress >= 3


def test_predict_returns_the_calculators_numbers(model, model_dir):
    atoms = frames_to_check(model_dir)[0]
    out = model.predict(atoms.numbers, atoms.positions, atoms.cell[:], atoms.pbc)
    assert set(out) == {"energy", "forces", "stress"}
    assert isinstance(out["energy"], float)
    assert out["forces"].shape == (len(atoms), 3) and out["forces"].dtype == np.float64
    assert out["stress"].shape == (6,)
    atoms.calc = EqvCalculator(model=model)
    assert atoms.get_potential_energy() == out["energy"]
    np.testing.assert_array_equal(atoms.get_stress(), out["stress"])
    # Without pbc, a cell means a periodic crystal; without a cell, a cluster.
    same = model.predict(atoms.numbers.tolist(), atoms.positions.tolist(), atoms.cell.tolist())
    assert same["energy"] == out["energy"]
    cluster = model.predict(atoms.numbers, atoms.positions)
    assert "stress" not in cluster and cluster["energy"] != out["energy"]
