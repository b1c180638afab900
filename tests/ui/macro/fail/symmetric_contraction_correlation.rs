// A correlation order outside 1..=4: 0 factors is no product, and beyond 4
// the number of coupling paths explodes.
use eqv::equivariant;

#[equivariant(config(species = 2))]
pub struct Products {
    none: SymmetricContraction<"8x0e + 8x1o", "8x0e", 0>,
    many: SymmetricContraction<"8x0e + 8x1o", "8x0e", 6>,
}

fn main() {}
