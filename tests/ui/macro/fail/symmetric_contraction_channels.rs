// A symmetric contraction works channel by channel: `16x0e + 8x1o` has no
// vector channel for scalar channels 8 to 15.
use eqv::equivariant;

#[equivariant(config(species = 2))]
pub struct Product {
    product: SymmetricContraction<"16x0e + 8x1o", "16x0e", 3>,
}

fn main() {}
