// Rule 1 — a ReLU declared on vector channels: `Activation<"16x1o", Relu>`.
// A rotation mixes x, y and z; ReLU applied to each component does not
// commute with that mixing.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant]
pub struct VectorHead {
    act: Activation<"16x1o", Relu>,
    out: Linear<"16x1o", "1x1o">,
}

impl VectorHead {
    pub fn forward<'t, T: Real>(&self, v: Feat<'t, Vector, T>) -> Feat<'t, Vector, T> {
        self.out.forward(self.act.forward(v))
    }
}

fn main() {
    let head = VectorHead::new(&VectorHeadConfig::default(), 0);
    println!("{}", head.summary());
}
