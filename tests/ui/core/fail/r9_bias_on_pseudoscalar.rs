// Rule 9: a bias on pseudoscalars. Inversion flips x but not b, so
// `w·x + b` has no definite parity.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let _chirality_head = Linear::<Pseudoscalar, Pseudoscalar>::with_bias(4, 1, &mut rng);
}
