// A hand-written `Model` that declares an energy and returns one: a scalar
// per structure, from an MLP on distances. `check_model_equivariance`
// confirms it numerically.
use eqv::equivariance::check_model_equivariance;
use eqv::graph::Batch;
use eqv::model::{kind, IntoDeclared, Model};
use eqv::param::{join_path, Parameters};
use eqv::prelude::*;

struct PairEnergy {
    hidden: Linear<Scalar, Scalar>,
    out: Linear<Scalar, Scalar>,
}

impl Parameters for PairEnergy {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.hidden.visit(&join_path(prefix, "hidden"), f);
        self.out.visit(&join_path(prefix, "out"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.hidden.visit_mut(&join_path(prefix, "hidden"), f);
        self.out.visit_mut(&join_path(prefix, "out"), f);
    }
}

impl Model for PairEnergy {
    type Output = kind::Energy;
    fn predict<'t, T: Real>(&self, graph: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
        let d = graph.edge_vectors().norm();
        let h = self.hidden.forward(d).activate(Silu);
        let atomic = graph.scatter_sum(self.out.forward(h));
        Energy::from_feat(graph.sum_over_atoms(atomic))
    }
}

fn main() {
    let mut rng = Rng::new(5);
    let model = PairEnergy {
        hidden: Linear::with_bias(1, 16, &mut rng),
        out: Linear::new(16, 1, &mut rng),
    };
    assert_eq!(model.num_params(), 16 + 16 + 16);
    let batch = Batch::from_positions(
        &[[0.0; 3], [1.0, 0.1, 0.0], [0.2, 1.2, 0.3], [-0.8, 0.4, 0.9]],
        &[0, 1, 0, 1],
        2.0,
    )
    .unwrap();
    let report = check_model_equivariance(&model, &batch, 0);
    assert!(report.max() < 1e-9, "{report}");
}
