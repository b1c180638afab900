// Sizes may be arithmetic of config entries, nothing else.
use eqv::equivariant;

#[equivariant(config(channels = 4))]
pub struct Odd {
    up: Linear<"{channels}x0e", "{channels.pow(2)}x0e">,
}

fn main() {}
