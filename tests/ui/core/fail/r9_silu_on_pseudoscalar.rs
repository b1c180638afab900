// Rule 9: SiLU on a pseudoscalar (a triple product). SiLU is neither odd nor
// even, so silu(-x) is neither silu(x) nor -silu(x).
use eqv::prelude::*;

fn main() {
    let tape = Tape::<f64>::new();
    let a = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
    let b = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
    let c = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 0.0, 1.0]);
    let chirality: Feat<Pseudoscalar> = tensor_product::<_, _, Pseudoscalar, _>(a.cross(b), c);
    let _h = chirality.activate(Silu);
}
