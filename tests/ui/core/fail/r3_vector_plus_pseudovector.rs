// Rule 3: adding a pseudovector (a cross product) to a vector. Both rotate
// alike, but under inversion the vector flips and the pseudovector does not.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = Feat::<Vector>::input(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
    let b = Feat::<Vector>::input(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let axial = a.cross(b);
    let _mixed = a + axial;
}
