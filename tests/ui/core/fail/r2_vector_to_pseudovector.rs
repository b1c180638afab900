// Rule 2: a linear layer from vectors (1o) to pseudovectors (1e): same
// degree, different parity, still not an equivariant linear map.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let _to_axial = Linear::<Vector, Pseudovector>::new(8, 8, &mut rng);
}
