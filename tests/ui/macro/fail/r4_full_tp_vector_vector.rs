// Rule 4 — `FullTp<"8x1o", "8x1o", "8x1o">`: a product of two vectors is even
// (0e, 1e, 2e); a cross product is a pseudovector, not a vector.
use eqv::equivariant;

#[equivariant]
pub struct Product {
    tp: FullTp<"8x1o", "8x1o", "8x1o">,
}

fn main() {}
