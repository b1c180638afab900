// Rule 1 — a gate with the vectors in the scalars slot: `Gate<"8x1o", "8x1o">`.
// The first irreps of a gate go through the activation, so they must be
// scalars.
use eqv::equivariant;

#[equivariant(config(channels = 16))]
pub struct Block {
    mix: Linear<"{channels}x0e + 8x1o", "{channels}x0e + 8x0e + 8x1o">,
    gate: Gate<"8x1o", "8x1o">,
}

fn main() {}
