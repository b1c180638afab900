// Rule 1: a ReLU on a vector. Rotating the vector mixes x, y and z, and a
// nonlinearity applied to each component does not commute with that mixing.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, -2.0, 0.5]);
    let _h = v.activate(Relu);
}
