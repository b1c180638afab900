// Rule 3: the dot product of a vector and a pseudovector is a pseudoscalar,
// not a scalar; `dot` only pairs features of the same irrep.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let v = g.edge_vectors();
    let p = g.edge_vectors().cross(g.gather_centers(g.scatter_sum(g.edge_vectors())));
    let _s: Feat<Scalar> = v.dot(p);
}

fn main() {
    let _ = model;
}
