// Rule 9 in a declaration: SiLU is neither odd nor even, so it cannot act on
// the 0o block. One mistake, one error.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant]
pub struct Head {
    act: Activation<"8x0e + 4x0o", Silu>,
}

fn main() {}
