// Rule 1: a sigmoid on a pseudovector (the cross product of two vectors).
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let b = g.gather_centers(g.scatter_sum(g.edge_vectors()));
    let axial: Feat<Pseudovector> = a.cross(b);
    let _gated = axial.activate(Sigmoid);
}

fn main() {
    let _ = model;
}
