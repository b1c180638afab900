// Rule 1: a sigmoid on a pseudovector (the cross product of two vectors).
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let axial: Feat<Pseudovector> = a.cross(b);
    let _gated = axial.activate(Sigmoid);
}
