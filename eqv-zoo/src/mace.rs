//! A MACE potential (Batatia et al. 2022, "MACE: Higher order equivariant
//! message passing neural networks") declared with `#[equivariant]`:
//! two-body A-features from a channel-wise tensor product summed over
//! neighbours, then MACE's product basis, a symmetric contraction to
//! correlation order 3 (four-body terms in one layer) with weights per
//! species and channel.
//!
//! ```text
//! A_i  = W_A · Σ_j R(|r_ij|) · (h_j ⊗ Y(r̂_ij))                       (0e, 1o, 2e)
//! B_ik = Σ_{ν=1..3} Σ_paths w[z_i, k, path] · (A_ik ⊗ … ⊗ A_ik → 0e, 1o)   (per channel k)
//! m_i  = W · B_i          h_i' = m_i + skip(h_i)
//! E    = Σ_i Σ_layers readout(h_i^t) + MLP(h_i^T)
//! ```
//!
//! Differences from MACE: the coupling paths are Clebsch-Gordan trees
//! rather than MACE's reduced `U` basis (the same functions, with some
//! redundant weights at order 3; see `SymmetricContraction` in the guide),
//! and the skip connection is not species-dependent.

use eqv::equivariant;
use eqv::prelude::*;

/// One MACE layer: A-features, the product basis to correlation order 3,
/// the message, the residual and a linear site-energy readout.
#[equivariant(config(
    species = 1,
    channels = 8,
    n_basis = 8,
    radial_hidden = 16,
    avg_neighbors = 8.0
))]
pub struct MaceLayer {
    /// Weights of every tensor-product path, per edge, from the radial basis.
    radial: Mlp<{ n_basis }, { radial_hidden }, conv>,
    /// Neighbour features ⊗ edge harmonics (the one-particle basis).
    conv: ChannelwiseTp<"{channels}x0e + {channels}x1o", "1x0e + 1x1o + 1x2e", "0e + 1o + 2e">,
    /// A-features: the paths of `conv` mixed into `channels` of each irrep.
    a_mix: Linear<conv, "{channels}x0e + {channels}x1o + {channels}x2e">,
    /// The product basis: per atom and channel, products of A with itself
    /// up to correlation order 3 coupled to 0e and 1o, weighted per species.
    product: SymmetricContraction<
        "{channels}x0e + {channels}x1o + {channels}x2e",
        "{channels}x0e + {channels}x1o",
        3,
    >,
    /// The message: the product basis mixed across channels.
    message: Linear<"{channels}x0e + {channels}x1o", "{channels}x0e + {channels}x1o">,
    /// The residual path.
    skip: Linear<"{channels}x0e + {channels}x1o", "{channels}x0e + {channels}x1o">,
    /// This layer's contribution to the site energy.
    readout: Linear<"{channels}x0e", "1x0e">,
}

/// Node features: scalars and vectors per atom.
pub type MaceNodes<'t, T> = (Feat<'t, Scalar, T>, Feat<'t, Vector, T>);
/// Spherical harmonics of the edge vectors, degrees 0, 1 and 2.
pub type EdgeHarmonics<'t, T> = (
    Feat<'t, Scalar, T>,
    Feat<'t, Vector, T>,
    Feat<'t, Tensor2e, T>,
);

impl MaceLayer {
    /// New node features and this layer's site energies `[atoms, 1]`.
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        sh: EdgeHarmonics<'t, T>,
        basis: Feat<'t, Scalar, T>,
        x: MaceNodes<'t, T>,
    ) -> (MaceNodes<'t, T>, Feat<'t, Scalar, T>) {
        // Correlation order 1: A_i = Σ_j R(r_ij) h_j ⊗ Y(r̂_ij).
        let weights = self.radial.forward(basis);
        // (gather, product and scatter fused: `convolve`)
        let (m0, m1, m2) = self.conv.convolve(g, x, sh, weights);
        let k = 1.0 / self.config().avg_neighbors;
        let aggregated = (m0.scale_by(k), m1.scale_by(k), m2.scale_by(k));
        let (a0, a1, a2) = self.a_mix.forward(aggregated);

        // Correlation orders 1 to 3, channel by channel, per species.
        let b = self.product.forward(g, (a0, a1, a2));
        let (s, v) = self.message.forward(b);
        let (s0, v0) = self.skip.forward(x);
        let (s, v) = (s + s0, v + v0);
        let site = self.readout.forward(s);
        ((s, v), site)
    }
}

/// The MACE-style potential: E = Σ_atoms (Σ_layers readout_t + MLP(last scalars)).
#[equivariant(
    output = Energy,
    config(species = 1, channels = 8, n_basis = 8, cutoff = 4.0, blocks = 2, scale = 1.0)
)]
pub struct Mace {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<"1x0e + 1x1o + 1x2e">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    #[eqv(repeat = blocks)]
    interactions: Vec<MaceLayer>,
    /// Nonlinear readout of the last layer's scalars.
    head: Mlp<{ channels }, { channels }, 1>,
}

impl Mace {
    /// The energy of each structure.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let edges = g.edge_vectors();
        let sh = self.sh.forward(edges);
        let basis = self.radial.forward(edges.norm());
        let c = self.config().channels;
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), c),
        );
        let mut site: Option<Feat<'t, Scalar, T>> = None;
        for layer in &self.interactions {
            let (next, e) = layer.forward(g, sh, basis, x);
            x = next;
            site = Some(match site {
                Some(s) => s + e,
                None => e,
            });
        }
        let head = self.head.forward(x.0);
        let site = match site {
            Some(s) => s + head,
            None => head,
        };
        // Site energies in units of the data's typical force × 1 Å, so the
        // network works with O(1) numbers (as the NequIP-like model does).
        Energy::from_feat(g.sum_over_atoms(site.scale_by(self.config().scale)))
    }
}

/// A config whose layer sizes agree with the top level.
pub fn mace_config(species: usize, channels: usize, blocks: usize, cutoff: f64) -> MaceConfig {
    MaceConfig {
        species,
        channels,
        blocks,
        cutoff,
        interactions: MaceLayerConfig {
            species,
            channels,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{assert_f32_f64_and_dual_agree, assert_force_loss_gradient, molecule};
    use eqv::graph::Batch;
    use eqv::model::Model;
    use eqv::param::Parameters;

    fn model() -> Mace {
        Mace::new(&mace_config(2, 3, 2, 3.5), 11)
    }

    #[test]
    fn is_equivariant_with_two_species() {
        let r = model().check_equivariance(&molecule(), 3);
        assert!(r.max() <= 1e-10, "{r}");
    }

    #[test]
    fn contraction_weights_are_per_species_and_channel() {
        let m = model();
        let mut shapes = Vec::new();
        m.visit("", &mut |path, p| {
            if path.contains("product") {
                shapes.push((path.to_string(), p.shape().to_vec()));
            }
        });
        // [species, paths × channels]: 9 paths into 0e, 10 into 1o (ν ≤ 3).
        assert_eq!(
            shapes,
            vec![
                ("interactions.0.product.w0.weight".to_string(), vec![2, 27]),
                ("interactions.0.product.w1.weight".to_string(), vec![2, 30]),
                ("interactions.1.product.w0.weight".to_string(), vec![2, 27]),
                ("interactions.1.product.w1.weight".to_string(), vec![2, 30]),
            ]
        );
        // Changing one species' weights changes the energy only if an atom
        // of that species exists.
        let only_first = Batch::from_positions(
            &[[0.0; 3], [1.3, 0.2, 0.1], [0.1, 1.2, -0.3]],
            &[0, 0, 0],
            3.5,
        )
        .unwrap();
        let energy = |m: &Mace, b: &Batch| {
            let tape = Tape::<f64>::new();
            m.predict(&Graph::new(&tape, b)).to_f64()[0]
        };
        let mut bumped = model();
        bumped.visit_mut("", &mut |path, p| {
            if path.ends_with("product.w0.weight") {
                let cols = p.shape()[1];
                for v in &mut p.data_mut()[cols..] {
                    *v += 0.5; // species 1 only
                }
            }
        });
        assert_eq!(energy(&m, &only_first), energy(&bumped, &only_first));
        assert_ne!(energy(&m, &molecule()), energy(&bumped, &molecule()));
    }

    #[test]
    fn predicts_in_f32_f64_and_dual() {
        assert_f32_f64_and_dual_agree(&model(), &molecule());
    }

    /// The force-loss gradient (the trainer's path, dual numbers through
    /// the contraction) against central differences of the contraction's
    /// weights.
    #[test]
    fn force_loss_gradient_matches_finite_differences() {
        let (checked, _) = assert_force_loss_gradient(
            model,
            &molecule(),
            |p| p.contains("product"),
            |len| [0, 7, len - 1],
        );
        assert_eq!(checked, 12);
    }
}
