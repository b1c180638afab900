// Rule 4 (selection rule): 1 ⊗ 1 contains l = 0, 1, 2 only; no l = 3.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let _t = tensor_product::<_, _, Tensor3e, _>(v, v);
}
