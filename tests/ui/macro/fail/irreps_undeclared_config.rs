// A config multiplicity with a typo: `{chanels}` where the config declares
// `channels`.
use eqv::equivariant;

#[equivariant(config(channels = 16, vectors = 8))]
pub struct Mixer {
    mix: Linear<"{channels}x0e + {vectors}x1o", "{chanels}x0e + {vectors}x1o">,
}

fn main() {}
