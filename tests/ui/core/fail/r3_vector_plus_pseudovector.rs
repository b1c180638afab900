// Rule 3: adding a pseudovector (a cross product) to a vector. Both rotate
// alike, but under inversion the vector flips and the pseudovector does not.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let b = g.gather_centers(g.scatter_sum(g.edge_vectors()));
    let axial = a.cross(b);
    let _mixed = a + axial;
}

fn main() {
    let _ = model;
}
