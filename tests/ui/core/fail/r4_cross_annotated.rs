// Rule 4 via the cross product's output type: `Vector × Vector` is a
// `Pseudovector`, and annotating it as a `Vector` does not make it one.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let _torque: Feat<Vector> = a.cross(b);
}
