// Rule 4 — an output no path can produce: `2o` from `0e + 1o` times
// `0e + 1o` (1o ⊗ 1o gives 0e, 1e and 2e: even, not odd).
use eqv::equivariant;

#[equivariant]
pub struct Conv {
    radial: Mlp<8, 16, conv>,
    conv: ChannelwiseTp<"16x0e + 8x1o", "1x0e + 1x1o", "0e + 1o + 2o">,
}

fn main() {}
