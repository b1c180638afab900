// Hole (rule 9): a home-made symmetry marker that claims an activation
// keeps a pseudoscalar's parity. The markers are sealed: OddFunction,
// EvenFunction and NoSymmetry, and a claim of odd or even is checked
// numerically when the activation first acts on a pseudoscalar.
use eqv::rules::ParityOfActivation;
use eqv::prelude::*;

#[derive(Clone, Copy, Debug, Default)]
struct TrustMe;
#[derive(Clone, Copy, Debug, Default)]
struct MyExp;

impl ParityOfActivation<MyExp> for TrustMe {
    type Out = Pseudoscalar;
}

fn main() {}
