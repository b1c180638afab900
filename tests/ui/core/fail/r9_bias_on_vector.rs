// Rule 9: a bias on vectors — the tutorial's `a·x + b` with b != 0 adds the
// same number to x, y and z, which no rotation leaves alone.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let _lin = Linear::<Vector, Vector>::with_bias(8, 8, &mut rng);
}
