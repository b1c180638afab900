// Rule 4 without a turbofish: the output irrep comes from the annotation.
// A "vector from two vectors" is the classic parity slip.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let b = g.gather_centers(g.scatter_sum(g.edge_vectors()));
    let _w: Feat<Vector> = tensor_product(a, b);
}

fn main() {
    let _ = model;
}
