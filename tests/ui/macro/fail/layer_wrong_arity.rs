// A layer with the wrong number of arguments: `Linear` takes an input and an
// output irreps string, and only the output was written.
use eqv::equivariant;

#[equivariant(config(channels = 16))]
pub struct Readout {
    hidden: Linear<"{channels}x0e", "{channels}x0e">,
    readout: Linear<"1x0e">,
}

fn main() {}
