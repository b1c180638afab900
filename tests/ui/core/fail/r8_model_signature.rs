// Rule 8 through the `Model` trait, as a user would first write it: the
// model declares forces, and `predict` is written to return the invariants
// it actually computes.
use eqv::model::{kind, Model};
use eqv::param::{join_path, Parameters};
use eqv::prelude::*;

struct DistanceMlp {
    out: Linear<Scalar, Scalar>,
}

impl Parameters for DistanceMlp {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.out.visit(&join_path(prefix, "out"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.out.visit_mut(&join_path(prefix, "out"), f);
    }
}

impl Model for DistanceMlp {
    type Output = kind::Forces;
    fn predict<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let d = graph.edge_vectors().norm();
        graph.scatter_mean(self.out.forward(d))
    }
}

fn main() {}
