// Rule 4 (selection rule): 1 ⊗ 1 contains l = 0, 1, 2 only; no l = 3.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let v = g.edge_vectors();
    let _t = tensor_product::<_, _, Tensor3e, _>(v, v);
}

fn main() {
    let _ = model;
}
