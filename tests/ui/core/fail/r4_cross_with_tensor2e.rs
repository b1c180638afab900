// Rule 4: the cross product is the 1 ⊗ 1 -> 1 path; a Tensor2e has no
// cross product with a Vector.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let t2 = tensor_product::<_, _, Tensor2e, _>(a, a);
    let _c = a.cross(t2);
}

fn main() {
    let _ = model;
}
