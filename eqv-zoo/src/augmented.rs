//! The tutorial's first approach: an ordinary network on raw coordinates,
//! made (approximately) rotation-equivariant only by training on randomly
//! rotated copies of the data.
//!
//! The network reads the x, y and z components of every edge vector through
//! the named opt-out [`eqv::non_equivariant::components`] — the tutorial's
//! code example 1 (`Linear(3,128) → ReLU → …`) in eqv. Relative vectors
//! keep it translation invariant and symmetric sums keep it permutation
//! invariant, so the only symmetry it gives up is rotation (and
//! reflection), and it gives it up in exactly one, greppable line.
//!
//! It declares `output = Energy`, so forces are `−∇E` (equivariant exactly
//! when the energy is invariant) and it trains on energies and forces like
//! every other eqv potential; [`randomly_rotated`] makes the augmented copies
//! of a batch, targets included (`Batch::rotated` for a given rotation).

use eqv::equivariant;
use eqv::graph::Batch;
use eqv::prelude::*;
use eqv::rng::Rng;

/// An MLP over the raw components of each edge vector, times a smooth
/// radial envelope, summed over neighbours and atoms.
#[equivariant(
    output = Energy,
    config(species = 1, hidden = 32, n_basis = 8, cutoff = 4.0, avg_neighbors = 8.0)
)]
pub struct AugmentedBaseline {
    /// Radial basis of `|r_ij|`, zero at the cutoff.
    radial: Bessel<{ n_basis }, { cutoff }>,
    /// The non-equivariant part: an MLP of `(x, y, z) / cutoff`.
    xyz: Mlp<3, { hidden }, { hidden }>,
    /// A linear map of the radial basis: makes each edge's contribution
    /// vanish smoothly at the cutoff (no bias, so zero in, zero out).
    envelope: Mlp<{ n_basis }, { hidden }>,
    /// Per-species channel weights.
    embed: SpeciesEmbedding<{ species }, "{hidden}x0e">,
    /// Atomic energy from the summed edge features.
    readout: Mlp<{ hidden }, { hidden }, 1>,
}

impl AugmentedBaseline {
    /// The energy of each structure.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let cfg = self.config();
        let r = g.edge_vectors();
        // The one line that gives up rotation equivariance, by name (rule 5).
        let c = eqv::non_equivariant::components(r);
        let raw = c[0].concat(c[1]).concat(c[2]).scale_by(1.0 / cfg.cutoff);
        let edge = self
            .xyz
            .forward(raw)
            .activate(Silu)
            .scale(self.envelope.forward(self.radial.forward(r.norm())));
        let atom = g
            .scatter_sum(edge)
            .scale_by(1.0 / cfg.avg_neighbors)
            .scale(self.embed.forward(g));
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(atom)))
    }
}

/// A config with the given sizes.
pub fn augmented_config(species: usize, hidden: usize, cutoff: f64) -> AugmentedBaselineConfig {
    AugmentedBaselineConfig {
        species,
        hidden,
        cutoff,
        ..Default::default()
    }
}

/// `batch` under a uniformly random proper rotation: one augmented copy.
pub fn randomly_rotated(batch: &Batch, rng: &mut Rng) -> Batch {
    batch.rotated(&eqv::so3::random_rotation(rng))
}
