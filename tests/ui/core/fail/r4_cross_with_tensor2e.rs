// Rule 4: the cross product is the 1 ⊗ 1 -> 1 path; a Tensor2e has no
// cross product with a Vector.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let t2 = tensor_product::<_, _, Tensor2e, _>(a, a);
    let _c = a.cross(t2);
}
