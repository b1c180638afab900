//! The small many-body energy model the graph tests share: species
//! embedding, Bessel radial basis, radial MLP, an l = 2 density per atom
//! (angular, so three-body-like), a neighbour mean, and a readout MLP.

use eqv_core::graph::{EnergyModel, Graph};
use eqv_core::param::{join_path, Param};
use eqv_core::prelude::*;

/// The test model; every part of it has parameters, so gradients with
/// respect to all of them are exercised.
#[derive(Clone)]
pub struct Toy {
    emb: SpeciesEmbedding,
    basis: BesselBasis,
    radial: ScalarMlp,
    readout: ScalarMlp<Tanh>,
}

impl Toy {
    /// A model for `species` species with edges up to `cutoff`, its
    /// weights drawn from `seed`.
    pub fn new(species: usize, cutoff: f64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Toy {
            emb: SpeciesEmbedding::new(species, 4, &mut rng),
            basis: BesselBasis::new(cutoff, 6),
            radial: ScalarMlp::new(&[6, 8, 5], Silu, &mut rng),
            readout: ScalarMlp::with_bias(&[5, 8, 1], Tanh, &mut rng),
        }
    }
}

impl EnergyModel for Toy {
    fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let h = self.emb.forward(g);
        let r = g.edge_vectors();
        let w = self.radial.forward(self.basis.forward(r.norm()));
        let y2 = r.spherical_harmonic::<Tensor2e>(true);
        let m2 = g.scatter_sum(y2.scale(w.channels(4, 5)));
        let msg = g.scatter_mean(g.gather_neighbors(h).scale(w.channels(0, 4)));
        let inv = (msg + h).concat(m2.squared_norm());
        g.sum_over_atoms(self.readout.forward(inv))
    }
}

impl Parameters for Toy {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.emb.visit(&join_path(prefix, "emb"), f);
        self.radial.visit(&join_path(prefix, "radial"), f);
        self.readout.visit(&join_path(prefix, "readout"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.emb.visit_mut(&join_path(prefix, "emb"), f);
        self.radial.visit_mut(&join_path(prefix, "radial"), f);
        self.readout.visit_mut(&join_path(prefix, "readout"), f);
    }
}
