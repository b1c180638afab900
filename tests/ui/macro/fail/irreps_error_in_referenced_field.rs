// A malformed literal in a layer that other fields refer to: the tensor
// product's output `"0e + 1q"` (a typo for `1o`), whose weights come from
// `radial` and whose output `mix` reads. One mistake, one error.
use eqv::equivariant;

#[equivariant(config(channels = 16, vectors = 8))]
pub struct Interaction {
    radial: Mlp<8, 16, conv>,
    conv: ChannelwiseTp<"{channels}x0e + {vectors}x1o", "1x0e + 1x1o + 1x2e", "0e + 1q">,
    mix: Linear<conv, "{channels}x0e + {vectors}x1o">,
}

fn main() {}
