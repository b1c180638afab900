//! An evaluation as the dict Python receives, in ASE's units and layout.
//!
//! ASE calculators store `energy` as a float, `forces` as an (N, 3) array
//! and `stress` as the 6-vector in Voigt order xx yy zz yz xz xy; the dict
//! has exactly that layout so the calculator copies it without reshaping.

use eqv::classical::Evaluation;
use eqv::graph::voigt;
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `{"energy": float, "forces": (N, 3) array, "stress": (6,) array}`, the
/// stress only when the evaluation has one (a cell periodic in all three
/// directions).
pub fn to_dict<'py>(py: Python<'py>, out: &Evaluation) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("energy", out.energy)?;
    let flat: Vec<f64> = out.forces.iter().flatten().copied().collect();
    let forces = PyArray1::from_vec(py, flat).reshape([out.forces.len(), 3])?;
    dict.set_item("forces", forces)?;
    if let Some(s) = &out.stress {
        dict.set_item("stress", PyArray1::from_slice(py, &voigt(s)))?;
    }
    Ok(dict)
}
