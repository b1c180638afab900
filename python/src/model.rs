//! A trained checkpoint as a Python object: `eqv._native.load(path)`.
//!
//! The object owns a `ModelPotential` built from `eqv::zoo::load`, the
//! route `eqv md` takes; `eqv evaluate` runs the same model code through the
//! trainer's evaluation, and `python/tests` checks that the two agree (they
//! do bit for bit on the test frames).

use crate::output::to_dict;
use crate::structure::frame;
use eqv::data::Frame;
use eqv::simulation::ModelPotential;
use eqv::train::{GraphEstimate, GraphLimits};
use eqv::zoo::trained::checkpoint_file;
use eqv::zoo::{load as load_trained, ZooModel};
use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// A trained eqv potential: energies, forces and stresses of structures.
#[pyclass(module = "eqv._native", frozen)]
pub struct Model {
    potential: ModelPotential<ZooModel>,
    architecture: &'static str,
    config: String,
    epoch: usize,
    path: PathBuf,
}

/// Loads a checkpoint: a `model.safetensors` file, or the directory a
/// training run wrote (`--out`). A path that does not exist raises
/// `FileNotFoundError`; a damaged or unknown checkpoint `ValueError`.
#[pyfunction]
pub fn load(path: PathBuf) -> PyResult<Model> {
    let file = checkpoint_file(&path);
    if !file.is_file() {
        return Err(PyFileNotFoundError::new_err(if file == path {
            format!("no eqv checkpoint at {}", path.display())
        } else {
            format!(
                "{} is a directory without model.safetensors (not the output of an eqv training run?)",
                path.display()
            )
        }));
    }
    let trained = load_trained(&file).map_err(PyValueError::new_err)?;
    let architecture = trained.model.name();
    let potential = ModelPotential::new(
        trained.model,
        trained.cutoff,
        trained.reference.species().clone(),
        trained.reference.per_atom(),
    )
    .map_err(|e| PyValueError::new_err(format!("{}: {e}", file.display())))?;
    Ok(Model {
        potential,
        architecture,
        config: trained.config.to_string(),
        epoch: trained.epoch,
        path: trained.path,
    })
}

impl Model {
    /// Refuses a structure whose neighbour lists would not fit in memory
    /// (a cell of 1e-8 Å along one periodic direction would otherwise
    /// build images until the process is killed), with the training run's
    /// limits: 1000 neighbours per atom, 4 GiB.
    fn check_size(&self, frame: &Frame) -> PyResult<()> {
        let cutoff = self.potential.cutoff();
        GraphEstimate::of(std::slice::from_ref(frame), cutoff)
            .check(&GraphLimits::default())
            .map_err(|m| {
                PyValueError::new_err(format!(
                    "at the model's cutoff of {cutoff} Å this structure has {}: is the cell too small or are the atoms too dense?",
                    m.trim_end_matches("; lower the cutoff")
                ))
            })
    }
}

#[pymethods]
impl Model {
    /// Energy (eV), forces (eV/Å) and, for a cell periodic in all three
    /// directions, the stress (eV/Å³, Voigt order xx yy zz yz xz xy, ASE's
    /// sign) of one structure, as a dict. The arrays must already have the
    /// dtypes `int64` and `float64` (the Python wrapper converts).
    #[pyo3(signature = (numbers, positions, cell=None, pbc=None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        numbers: PyReadonlyArray1<'py, i64>,
        positions: PyReadonlyArray2<'py, f64>,
        cell: Option<PyReadonlyArray2<'py, f64>>,
        pbc: Option<[bool; 3]>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let frame = frame(
            numbers.as_array(),
            positions.as_array(),
            cell.as_ref().map(|c| c.as_array()),
            pbc,
        )
        .map_err(PyValueError::new_err)?;
        self.check_size(&frame)?;
        // The model runs without the GIL: other Python threads go on.
        let out = py
            .detach(|| eqv::classical::Potential::evaluate(&self.potential, &frame))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        to_dict(py, &out)
    }

    /// Atomic numbers the model knows, in the order of its species.
    #[getter]
    fn species(&self) -> Vec<u8> {
        self.potential.species().numbers().to_vec()
    }

    /// Neighbour cutoff (Å) the model was trained with.
    #[getter]
    fn cutoff(&self) -> f64 {
        self.potential.cutoff()
    }

    /// Name of the architecture (a zoo model, e.g. "Nequip").
    #[getter]
    fn architecture(&self) -> &'static str {
        self.architecture
    }

    /// The model's config as the checkpoint stores it (JSON text).
    #[getter]
    fn config_json(&self) -> &str {
        &self.config
    }

    /// The training epoch whose weights these are.
    #[getter]
    fn epoch(&self) -> usize {
        self.epoch
    }

    /// The checkpoint file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }
}
