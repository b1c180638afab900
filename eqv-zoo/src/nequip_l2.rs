//! The NequIP-like potential with rank-2 node features: every atom carries
//! scalars (0e), vectors (1o) *and* symmetric traceless tensors (2e), as
//! NequIP does with `l_max = 2`. [`crate::nequip::Nequip`] keeps only 0e
//! and 1o between layers, so an angle seen by one layer reaches the next
//! only through vectors; here quadrupole-like (2e) features carry it too,
//! at the price of the extra tensor-product paths.
//!
//! The tensors are gated like the vectors: one sigmoid gate scalar per
//! channel of each L ≥ 1 block (rule 1: they are only ever scaled by
//! invariants).

use crate::nequip::EdgeHarmonics;
use eqv::equivariant;
use eqv::prelude::*;

/// One interaction block whose features reach l = 2.
#[equivariant(config(
    channels = 16,
    vectors = 8,
    tensors = 4,
    n_basis = 8,
    radial_hidden = 16,
    avg_neighbors = 16.0
))]
pub struct TensorInteraction {
    /// Weights of every tensor-product path, per edge, from the radial basis.
    radial: Mlp<{ n_basis }, { radial_hidden }, conv>,
    /// Neighbour features ⊗ edge harmonics, every path into 0e, 1o and 2e.
    conv: ChannelwiseTp<
        "{channels}x0e + {vectors}x1o + {tensors}x2e",
        "1x0e + 1x1o + 1x2e",
        "0e + 1o + 2e",
    >,
    /// Mixes the messages into scalars, gates (one per vector and per
    /// tensor channel), vectors and tensors.
    mix: Linear<conv, "{channels}x0e + {vectors + tensors}x0e + {vectors}x1o + {tensors}x2e">,
    /// Scalars through SiLU; vectors and tensors scaled by sigmoid gates.
    gate: Gate<"{channels}x0e", "{vectors}x1o + {tensors}x2e">,
    /// The residual path.
    skip: Linear<
        "{channels}x0e + {vectors}x1o + {tensors}x2e",
        "{channels}x0e + {vectors}x1o + {tensors}x2e",
    >,
}

/// Node features: scalars, vectors and rank-2 tensors per atom.
pub type TensorNodes<'t, T> = (
    Feat<'t, Scalar, T>,
    Feat<'t, Vector, T>,
    Feat<'t, Tensor2e, T>,
);

impl TensorInteraction {
    /// Messages from neighbours, aggregated, mixed, gated, plus the residual.
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        sh: EdgeHarmonics<'t, T>,
        basis: Feat<'t, Scalar, T>,
        x: TensorNodes<'t, T>,
    ) -> TensorNodes<'t, T> {
        let weights = self.radial.forward(basis);
        let (m0, m1, m2) = self.conv.convolve(g, x, sh, weights);
        let k = 1.0 / self.config().avg_neighbors;
        let aggregated = (m0.scale_by(k), m1.scale_by(k), m2.scale_by(k));
        let (s, v, t) = self.gate.forward(self.mix.forward(aggregated));
        let (s0, v0, t0) = self.skip.forward(x);
        (s + s0, v + v0, t + t0)
    }
}

/// The whole potential: E = Σ_atoms readout(scalars after the last layer).
#[equivariant(
    output = Energy,
    config(
        species = 1,
        channels = 16,
        vectors = 8,
        tensors = 4,
        n_basis = 8,
        cutoff = 4.0,
        layers = 2,
        scale = 1.0
    )
)]
pub struct NequipL2 {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<"1x0e + 1x1o + 1x2e">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    #[eqv(repeat = layers)]
    interactions: Vec<TensorInteraction>,
    hidden: Linear<"{channels}x0e", "{channels}x0e">,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl NequipL2 {
    /// The energy of each structure in the batch.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let edges = g.edge_vectors();
        let sh = self.sh.forward(edges);
        let basis = self.radial.forward(edges.norm());
        let cfg = self.config();
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), cfg.vectors),
            Feat::<Tensor2e, T>::zeros(g.tape(), g.num_atoms(), cfg.tensors),
        );
        for layer in &self.interactions {
            x = layer.forward(g, sh, basis, x);
        }
        // Per-atom energies in units of the data's typical force × 1 Å, as
        // in the l ≤ 1 model.
        let per_atom = self
            .readout
            .forward(self.hidden.forward(x.0).activate(Silu))
            .scale_by(cfg.scale);
        Energy::from_feat(g.sum_over_atoms(per_atom))
    }
}

/// A config whose sub-network sizes agree with the top level.
pub fn nequip_l2_config(
    species: usize,
    channels: usize,
    vectors: usize,
    tensors: usize,
    layers: usize,
    cutoff: f64,
) -> NequipL2Config {
    NequipL2Config {
        species,
        channels,
        vectors,
        tensors,
        layers,
        cutoff,
        interactions: TensorInteractionConfig {
            channels,
            vectors,
            tensors,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{assert_f32_f64_and_dual_agree, assert_force_loss_gradient, molecule};
    use eqv::model::Model;
    use eqv::param::Parameters;

    fn model() -> NequipL2 {
        NequipL2::new(&nequip_l2_config(2, 4, 3, 2, 2, 3.5), 5)
    }

    #[test]
    fn is_equivariant_with_two_species() {
        let r = model().check_equivariance(&molecule(), 3);
        assert!(r.max() <= 1e-10, "{r}");
    }

    #[test]
    fn tensors_reach_the_energy() {
        // The first layer's tensors (mixed from its 2e messages) feed the
        // second layer's scalars through the 2e ⊗ Y paths, so the weights
        // that make them move the energy.
        let energy = |m: &NequipL2| {
            let tape = Tape::<f64>::new();
            m.predict(&Graph::new(&tape, &molecule())).to_f64()[0]
        };
        let base = energy(&model());
        let mut bumped = model();
        let mut touched = 0;
        bumped.visit_mut("", &mut |path, p| {
            if path == "interactions.0.mix.3_2.weight" {
                for v in p.data_mut() {
                    *v += 0.3;
                }
                touched += 1;
            }
        });
        assert_eq!(touched, 1, "the 2e mixing weights of layer 0");
        assert!((energy(&bumped) - base).abs() > 1e-9);
    }

    #[test]
    fn predicts_in_f32_f64_and_dual() {
        assert_f32_f64_and_dual_agree(&model(), &molecule());
    }

    /// The trainer's force-loss gradient against central differences, on
    /// the weights that make the first layer's tensors and on the second
    /// layer's radial network (which weights the 2e ⊗ Y paths among
    /// others).
    #[test]
    fn force_loss_gradient_matches_finite_differences() {
        let (checked, grads) = assert_force_loss_gradient(
            model,
            &molecule(),
            |p| p == "interactions.0.mix.3_2.weight" || p.starts_with("interactions.1.radial"),
            |len| [0, len / 2, len - 1],
        );
        assert_eq!(checked, 9);
        let (_, tensor_mix) = grads
            .iter()
            .find(|(p, _)| p == "interactions.0.mix.3_2.weight")
            .expect("the 2e mixing weights have a gradient");
        assert!(tensor_mix.iter().any(|g| g.abs() > 1e-8), "{tensor_mix:?}");
    }
}
