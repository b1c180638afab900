//! The tutorial's third code example, the one that is right: an MLP on pair
//! distances gives an energy per edge, the mean over each atom's neighbours
//! is the atom's energy, their sum is the energy of the molecule, and forces
//! are `F = −∇E`. The energy is invariant and the forces equivariant for
//! free: that is the tutorial's second approach (SchNet, DimeNet, DPA-1).
//!
//! Run: `cargo run --release --example energy_from_distances`

use eqv::equivariant;
use eqv::graph::{forces_from_energy, Batch};
use eqv::prelude::*;

/// `Linear(1,128) → ReLU → Linear(128,1)` on distances, as in the tutorial.
#[equivariant(output = Energy, config(hidden = 128))]
pub struct DistanceEnergy {
    mlp: Mlp<1, { hidden }, 1, Relu>,
}

impl DistanceEnergy {
    /// Distances are invariants, so any network may act on them.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let distances = g.edge_vectors().norm(); // [edges, 1], invariant
        let edge_energy = self.mlp.forward(distances); // anything goes on invariants
        let atom_energy = g.scatter_mean(edge_energy); // mean over neighbours
        Energy::from_feat(g.sum_over_atoms(atom_energy)) // sum over atoms
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A small water-like cluster, as the tutorial's "three random atoms".
    let positions = [
        [0.0, 0.0, 0.0],
        [0.96, 0.0, 0.0],
        [-0.24, 0.93, 0.0],
        [0.3, 0.4, 1.1],
    ];
    let batch = Batch::from_positions(&positions, &[0, 1, 1, 0], 5.0)?;
    let model = DistanceEnergy::new(&DistanceEnergyConfig::default(), 0);
    println!("{}", model.summary());

    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let energy = model.forward(&g).feat();
    let forces = forces_from_energy(&g, energy);
    println!("energy: {:.6}", energy.to_f64()[0]);
    for (i, f) in forces.iter().enumerate() {
        println!(
            "force on atom {i}: [{:+.6}, {:+.6}, {:+.6}]",
            f[0], f[1], f[2]
        );
    }
    let report = model.check_equivariance(&batch, 1);
    println!("{report}");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());
    Ok(())
}
