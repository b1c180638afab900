// Rule 7: "the energy of the first atom". Atom numbering is arbitrary.
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let atomic_energies = eqv::non_equivariant::input::<Scalar, _>(&tape, 3, 1, vec![-1.0, -2.0, -3.0]);
    let _e0 = atomic_energies.row(0);
}
