// Rule 4 (parity): Vector ⊗ Vector has parity odd·odd = even, so it
// contains no Vector (1o).
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let _w = tensor_product::<_, _, Vector, _>(v, v);
}
