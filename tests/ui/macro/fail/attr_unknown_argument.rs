// `cutoff = 5.0` written next to `output`, where only `output` and
// `config(...)` belong: the cutoff is a config entry.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(output = Energy, cutoff = 5.0, config(n_basis = 8))]
pub struct RadialEnergy {
    radial: Bessel<{ n_basis }, 5.0>,
    mlp: Mlp<{ n_basis }, 32, 1, Silu>,
}

impl RadialEnergy {
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let e = self
            .mlp
            .forward(self.radial.forward(g.edge_vectors().norm()));
        Energy::from_feat(g.sum_over_atoms(g.scatter_sum(e)))
    }
}

fn main() {}
