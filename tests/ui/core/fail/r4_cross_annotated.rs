// Rule 4 via the cross product's output type: `Vector × Vector` is a
// `Pseudovector`, and annotating it as a `Vector` does not make it one.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let b = g.gather_centers(g.scatter_sum(g.edge_vectors()));
    let _torque: Feat<Vector> = a.cross(b);
}

fn main() {
    let _ = model;
}
