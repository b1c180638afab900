// Rule 3: the dot product of a vector and a pseudovector is a pseudoscalar,
// not a scalar; `dot` only pairs features of the same irrep.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 2.0, 3.0]);
    let p = eqv::non_equivariant::input::<Pseudovector, _>(&tape, 1, 1, vec![0.0, 0.0, 1.0]);
    let _s: Feat<Scalar> = v.dot(p);
}
