//! The README's "Run MD from Rust" code, run as written with the README's
//! `DistanceEnergy` network (its "A network, declared" section) in place of
//! the checkpoint's model, and a shorter run.

use eqv::classical::{diamond_silicon, Barostat};
use eqv::data::{read_extxyz, SpeciesMap};
use eqv::equivariant;
use eqv::prelude::*;
use eqv::simulation::{
    Ensemble, MdConfig, MdOutputs, MdRun, ModelPotential, ThermoLog, TrajectoryWriter,
};

#[equivariant(output = Energy, config(hidden = 16))]
pub struct DistanceEnergy {
    mlp: Mlp<1, { hidden }, 1, Relu>,
}

impl DistanceEnergy {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let distances = g.edge_vectors().norm();
        let edge_energy = self.mlp.forward(distances);
        let atom_energy = g.scatter_mean(edge_energy);
        Energy::from_feat(g.sum_over_atoms(atom_energy))
    }
}

#[test]
fn the_readme_md_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("eqv-readme-md-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let model = DistanceEnergy::new(&DistanceEnergyConfig::default(), 0);
    let potential = ModelPotential::new(
        model,
        3.0,                            // Å
        SpeciesMap::from_numbers([14]), // trained.reference.species()
        vec![-4.3],                     // trained.reference.e0()
    )?;
    let cfg = MdConfig {
        ensemble: Ensemble::Npt {
            temperature_k: 600.0,
            friction_per_fs: 0.01,
            barostat: Barostat::StochasticCellRescaling {
                pressure_gpa: 0.0,
                tau_fs: 500.0,
                compressibility_per_gpa: 0.01,
            },
        },
        dt_fs: 1.0,
        steps: 20,
        initial_temperature_k: 600.0,
        seed: 0,
        log_every: 10,
        trajectory_every: 10,
    };
    let mut run = MdRun::new(potential, diamond_silicon(5.431, [1; 3]), cfg)?;
    let mut outputs = MdOutputs {
        thermo: Some(ThermoLog::create(dir.join("thermo.log"))?),
        trajectory: Some(TrajectoryWriter::create(dir.join("trajectory.extxyz"))?),
        ..MdOutputs::default()
    };
    let records = run.run(&mut outputs)?;
    assert_eq!(records.len(), 3);
    assert!(records
        .iter()
        .all(|r| r.pressure_gpa.is_some() && r.volume_a3.is_some()));
    // The barostat moved the cell.
    assert_ne!(records[2].volume_a3, records[0].volume_a3);
    assert_eq!(read_extxyz(dir.join("trajectory.extxyz"))?.len(), 3);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
