// Rule 4: a weighted, fully connected tensor product with a forbidden path.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let _tp = FullyConnectedTp::<Vector, Vector, Vector>::new(8, 8, 8, &mut rng);
}
