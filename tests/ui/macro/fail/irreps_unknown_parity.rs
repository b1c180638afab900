// An irreps literal with a parity that does not exist: `8x1q` (a typo for
// `8x1o`). Parities are `e` (even), `o` (odd) or `y` ((-1)^L).
use eqv::equivariant;

#[equivariant(config(channels = 16))]
pub struct Mixer {
    mix: Linear<"16x0e + 8x1o", "16x0e + 8x1q">,
}

fn main() {}
