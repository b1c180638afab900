// The tutorial's third code example as a declaration: an MLP on pair
// distances (`Linear(1,128) -> ReLU -> Linear(128,1)`), mean over each atom's
// neighbours, summed into the energy; forces are -∇E. Energy invariant,
// forces equivariant, for free.
use eqv::equivariant;
use eqv::graph::{forces_from_energy, Batch};
use eqv::prelude::*;

#[equivariant(output = Energy, config(hidden = 128))]
pub struct DistanceEnergy {
    mlp: Mlp<1, { hidden }, 1, Relu>,
}

impl DistanceEnergy {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let distances = g.edge_vectors().norm(); // [edges, 1], invariant
        let edge_energy = self.mlp.forward(distances);
        let atom_energy = g.scatter_mean(edge_energy);
        Energy::from_feat(g.sum_over_atoms(atom_energy))
    }
}

fn main() {
    let positions = [
        [0.0, 0.0, 0.0],
        [0.96, 0.0, 0.0],
        [-0.24, 0.93, 0.0],
        [0.3, 0.4, 1.1],
    ];
    let batch = Batch::from_positions(&positions, &[0, 1, 1, 0], 5.0).unwrap();
    let model = DistanceEnergy::new(&DistanceEnergyConfig::default(), 0);
    // 1·128 + 128·1 weights: eqv's MLPs have no biases (as e3nn's FullyConnectedNet).
    assert_eq!(model.num_params(), 256, "{}", model.summary());

    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let energy = model.forward(&g).feat();
    let forces = forces_from_energy(&g, energy);
    for k in 0..3 {
        let total: f64 = forces.iter().map(|f| f[k]).sum();
        assert!(total.abs() < 1e-10, "forces do not sum to zero: {total}");
    }
    let report = model.check_equivariance(&batch, 1);
    assert!(report.max() < 1e-10, "{report}");
}
