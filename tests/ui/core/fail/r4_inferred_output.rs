// Rule 4 without a turbofish: the output irrep comes from the annotation.
// A "vector from two vectors" is the classic parity slip.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let _w: Feat<Vector> = tensor_product(a, b);
}
