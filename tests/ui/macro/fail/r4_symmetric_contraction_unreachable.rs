// Rule 4 — an output the symmetric product cannot reach at this order:
// `1e` from `0e + 1o + 2e` with correlation 2. Each channel is multiplied
// with itself, so `1o ⊗ 1o → 1e` (the cross product a × a) is zero and no
// other pair gives 1e; three factors do.
use eqv::equivariant;

#[equivariant(config(species = 2))]
pub struct Product {
    product: SymmetricContraction<"8x0e + 8x1o + 8x2e", "8x0e + 8x1e", 2>,
}

fn main() {}
