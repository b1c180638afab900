// Spherical harmonics up to L = 10: eqv's typed irreps stop at L = 8.
use eqv::equivariant;

#[equivariant]
pub struct EdgeEmbedding {
    sh: SphericalHarmonics<"1x0e + 1x1o + 1x2e + 1x10e">,
}

fn main() {}
