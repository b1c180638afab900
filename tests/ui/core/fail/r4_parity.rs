// Rule 4 (parity): Vector ⊗ Vector has parity odd·odd = even, so it
// contains no Vector (1o).
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let v = g.edge_vectors();
    let _w = tensor_product::<_, _, Vector, _>(v, v);
}

fn main() {
    let _ = model;
}
