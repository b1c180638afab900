// Rule 1 — the PaiNN-style mistake "a ReLU on the vector channel", written
// as `v.activate(Relu)` inside the `forward` of an #[equivariant] network:
// the type system catches it at the user's call.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(channels = 16))]
pub struct Update {
    mix: Linear<"{channels}x0e + {channels}x1o", "{channels}x0e + {channels}x1o">,
}

impl Update {
    pub fn forward<'t, T: Real>(
        &self,
        s: Feat<'t, Scalar, T>,
        v: Feat<'t, Vector, T>,
    ) -> (Feat<'t, Scalar, T>, Feat<'t, Vector, T>) {
        let (s, v) = self.mix.forward((s, v));
        (s.activate(Silu), v.activate(Relu))
    }
}

fn main() {}
