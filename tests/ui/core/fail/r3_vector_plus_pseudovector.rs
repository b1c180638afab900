// Rule 3: adding a pseudovector (a cross product) to a vector. Both rotate
// alike, but under inversion the vector flips and the pseudovector does not.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let axial = a.cross(b);
    let _mixed = a + axial;
}
