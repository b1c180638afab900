// Rule 3: concatenating vector and pseudovector channels into one feature.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 2, vec![0.5; 6]);
    let p = eqv::non_equivariant::input::<Pseudovector, _>(&tape, 1, 1, vec![0.0, 0.0, 1.0]);
    let _channels = v.concat(p);
}
