//! Python bindings of eqv: the extension module `eqv._native` behind the
//! Python package `eqv` (see `python/eqv/__init__.py`).
//!
//! Only what must be native lives here: loading a checkpoint with
//! `eqv::zoo::load` and evaluating it with `eqv::simulation::ModelPotential`,
//! so Python gets exactly the numbers the Rust tool computes (same code, same
//! `f64` arithmetic). Array conversion and the ASE calculator are Python.
//!
//! Every input a Python caller can pass is checked before it reaches the
//! model, and every failure is a Python exception (`FileNotFoundError`,
//! `ValueError`), never a panic.
#![forbid(unsafe_code)]

mod model;
mod output;
mod structure;

use pyo3::prelude::*;

/// The extension module. Named `_native` because users import `eqv`, whose
/// Python code wraps it.
#[pymodule(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(model::load, m)?)?;
    m.add_class::<model::Model>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
