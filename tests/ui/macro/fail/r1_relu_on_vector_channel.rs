// Rule 1 — the PaiNN-style mistake "a ReLU on the vector channel", written
// inside `forward`: the activation layer is declared on scalars (right), but
// the vector features are passed through it.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 16))]
pub struct Update {
    mix: Linear<"{channels}x0e + {channels}x1o", "{channels}x0e + {channels}x1o">,
    act: Activation<"{channels}x0e", Relu>,
}

impl Update {
    pub fn forward<'t, T: Real>(
        &self,
        s: Feat<'t, Scalar, T>,
        v: Feat<'t, Vector, T>,
    ) -> (Feat<'t, Scalar, T>, Feat<'t, Vector, T>) {
        let (s, v) = self.mix.forward((s, v));
        (self.act.forward(s), self.act.forward(v))
    }
}

fn main() {}
