// Rule 3: adding a scalar (a distance) to a vector (the edge vector).
use eqv::prelude::*;

fn model<'t>(graph: &Graph<'t>) -> Feat<'t, Scalar> {
    let r = graph.edge_vectors();
    let d = r.norm();
    d + r
}

fn main() {
    let _ = model;
}
