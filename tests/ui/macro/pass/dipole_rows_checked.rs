// A per-atom Dipole output (one row per atom where one per structure is
// promised) is stopped at `predict` with a message naming rule 8; the
// right one, Σ qᵢ (rᵢ − r̄) per structure, runs.
use eqv::equivariant;
use eqv::graph::Batch;
use eqv::model::Model;
use eqv::prelude::*;

#[equivariant(output = Dipole)]
pub struct PerAtomDipole {
    mlp: Mlp<1, 8, 1>,
}

impl PerAtomDipole {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Vector, T> {
        let q = self.mlp.forward(g.scatter_mean(g.edge_vectors().norm()));
        q * g.centered_positions() // forgot to sum over atoms
    }
}

#[equivariant(output = Dipole)]
pub struct Dipole {
    mlp: Mlp<1, 8, 1>,
}

impl Dipole {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Vector, T> {
        let q = self.mlp.forward(g.scatter_mean(g.edge_vectors().norm()));
        g.sum_over_atoms(q * g.centered_positions())
    }
}

fn main() {
    let batch = Batch::from_positions(&[[0.0; 3], [1.0, 0.2, 0.0], [0.1, 1.1, 0.3]], &[0, 0, 0], 2.0).unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let good = Dipole::new(&DipoleConfig::default(), 0);
    assert_eq!(good.predict(&g).rows(), 1);
    println!("{}", good.check_equivariance(&batch, 1));
    let bad = PerAtomDipole::new(&PerAtomDipoleConfig::default(), 0);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| bad.predict(&g).rows()))
        .expect_err("a per-atom dipole must be refused");
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("`output = Dipole` promises one Vector row per structure") && msg.contains("rule 8"), "{msg}");
}
