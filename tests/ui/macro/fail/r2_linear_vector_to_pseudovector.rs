// Rule 2 — same degree, wrong parity: `Linear<"8x1o", "8x1e">` maps
// vectors to pseudovectors, which turn alike but do not flip alike.
use eqv::equivariant;

#[equivariant]
pub struct Mixer {
    mix: Linear<"8x1o", "8x1e">,
}

fn main() {}
