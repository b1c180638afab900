// Rule 4 — a wrong parity in a NequIP block: in the first interaction the
// node features are scalars only, and scalars ⊗ (0e + 1o + 2e) harmonics
// give 0e, 1o and 2e; a pseudovector `1e` needs a vector input first.
use eqv::equivariant;

#[equivariant(config(channels = 16, n_basis = 8))]
pub struct FirstInteraction {
    radial: Mlp<{ n_basis }, 16, conv>,
    conv: ChannelwiseTp<"{channels}x0e", "1x0e + 1x1o + 1x2e", "0e + 1o + 1e">,
    mix: Linear<conv, "{channels}x0e + 8x1o + 8x1e">,
}

fn main() {}
