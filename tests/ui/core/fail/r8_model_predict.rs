// Rule 8 through the `Model` trait: the model declares forces and `predict`
// returns invariants (the tutorial's "distance MLP predicts forces").
use eqv::model::{kind, IntoDeclared, Model};
use eqv::param::{join_path, Parameters};
use eqv::prelude::*;

struct DistanceMlp {
    hidden: Linear<Scalar, Scalar>,
    out: Linear<Scalar, Scalar>,
}

impl Parameters for DistanceMlp {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.hidden.visit(&join_path(prefix, "hidden"), f);
        self.out.visit(&join_path(prefix, "out"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.hidden.visit_mut(&join_path(prefix, "hidden"), f);
        self.out.visit_mut(&join_path(prefix, "out"), f);
    }
}

impl Model for DistanceMlp {
    type Output = kind::Forces;
    fn predict<'t, T: Real>(&self, graph: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
        let d = graph.edge_vectors().norm();
        let h = self.hidden.forward(d).activate(Silu);
        graph.scatter_mean(self.out.forward(h))
    }
}

fn main() {}
