// `"x1o"`: the `x` is there but the multiplicity before it is not (write
// `"1x1o"`, or just `"1o"`).
use eqv::equivariant;

#[equivariant]
pub struct VectorMixer {
    mix: Linear<"x1o", "8x1o">,
}

fn main() {}
