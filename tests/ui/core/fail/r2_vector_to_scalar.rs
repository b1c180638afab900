// Rule 2: a "vector -> scalar" linear layer. By Schur's lemma an equivariant
// linear map from a Vector to a Scalar is zero; use `norm()` or `dot()`.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let _readout = Linear::<Vector, Scalar>::new(16, 1, &mut rng);
}
