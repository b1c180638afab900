// `"16x0e ++ 8x1o"`: one `+` too many between two terms.
use eqv::equivariant;

#[equivariant]
pub struct Mixer {
    mix: Linear<"16x0e ++ 8x1o", "16x0e + 8x1o">,
}

fn main() {}
