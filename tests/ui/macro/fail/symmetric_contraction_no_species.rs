// The weights are per species, and their number is the config entry
// `species`, which this declaration does not have.
use eqv::equivariant;

#[equivariant(config(channels = 8))]
pub struct Product {
    product: SymmetricContraction<"{channels}x0e + {channels}x1o", "{channels}x0e", 2>,
}

fn main() {}
