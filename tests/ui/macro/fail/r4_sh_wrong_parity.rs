// Rule 4 (parity) — spherical harmonics declared with the wrong parity:
// `1x1e`. Y^1 of a vector is the (normalised) vector itself: odd.
use eqv::equivariant;

#[equivariant]
pub struct EdgeEmbedding {
    sh: SphericalHarmonics<"1x0e + 1x1e">,
}

fn main() {}
