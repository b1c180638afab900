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
    use eqv::dual::Dual;
    use eqv::graph::{energy_and_forces, energy_force_gradient, Batch, LossTerms};
    use eqv::model::Model;
    use eqv::param::Parameters;

    /// Two species, six atoms, every atom with neighbours.
    fn molecule() -> Batch {
        let positions = [
            [0.0, 0.0, 0.0],
            [1.52, 0.11, -0.07],
            [-0.43, 1.61, 0.22],
            [0.31, -0.58, 1.74],
            [1.87, 1.45, 0.93],
            [-1.21, -0.94, -1.02],
        ];
        Batch::from_positions(&positions, &[0, 1, 0, 1, 0, 0], 3.5).expect("a valid molecule")
    }

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
        let (m, b) = (model(), molecule());
        let tape = Tape::<f64>::new();
        let g = Graph::new(&tape, &b);
        let e = m.predict(&g);
        let e64 = e.to_f64()[0];
        let forces = energy_and_forces(&g, e).forces;
        let tape32 = Tape::<f32>::new();
        let e32 = m.predict(&Graph::new(&tape32, &b)).to_f64()[0];
        assert!(
            (e32 - e64).abs() <= 1e-4 * (1.0 + e64.abs()),
            "f32 {e32} vs f64 {e64}"
        );
        let d: Vec<[f64; 3]> = (0..b.num_atoms())
            .map(|i| [0.3 - 0.1 * i as f64, 0.2 * i as f64, -0.5 + 0.05 * i as f64])
            .collect();
        let tape_d = Tape::<Dual<f64>>::new();
        let ed = m
            .predict(&Graph::with_position_tangent(&tape_d, &b, &d))
            .data()[0];
        let want: f64 = -forces
            .iter()
            .zip(&d)
            .map(|(f, d)| f[0] * d[0] + f[1] * d[1] + f[2] * d[2])
            .sum::<f64>();
        assert!((ed.re - e64).abs() <= 1e-12 * (1.0 + e64.abs()));
        assert!(
            (ed.eps - want).abs() <= 1e-9 * (1.0 + want.abs()),
            "{} vs {want}",
            ed.eps
        );
    }

    /// The trainer's force-loss gradient (forward-over-reverse) against
    /// central differences, on the weights that make the first layer's
    /// tensors and on the second layer's radial network (which weights the
    /// 2e ⊗ Y paths among others).
    #[test]
    fn force_loss_gradient_matches_finite_differences() {
        let (m, b) = (model(), molecule());
        let c: Vec<[f64; 3]> = (0..b.num_atoms())
            .map(|i| [0.2 + 0.1 * i as f64, -0.3, 0.05 * i as f64])
            .collect();
        let loss_of = |e: &[f64], f: &[[f64; 3]]| -> f64 {
            e.iter().map(|e| e * e).sum::<f64>()
                + f.iter()
                    .zip(&c)
                    .map(|(f, c)| f[0] * c[0] + f[1] * c[1] + f[2] * c[2])
                    .sum::<f64>()
        };
        let grad = energy_force_gradient(&m, &b, |e, f| LossTerms {
            value: loss_of(e, f),
            d_energies: e.iter().map(|e| 2.0 * e).collect(),
            d_forces: c.clone(),
            d_stresses: Vec::new(),
        });
        let value = |m: &NequipL2| {
            let tape = Tape::<f64>::new();
            let g = Graph::new(&tape, &b);
            let ef = energy_and_forces(&g, m.predict(&g));
            loss_of(&ef.energies, &ef.forces)
        };
        let h = 1e-5;
        let mut checked = 0;
        for (path, g) in grad.grads.iter().filter(|(p, _)| {
            p == "interactions.0.mix.3_2.weight" || p.starts_with("interactions.1.radial")
        }) {
            for k in [0, g.len() / 2, g.len() - 1] {
                let shifted = |d: f64| {
                    let mut m2 = model();
                    m2.visit_mut("", &mut |p, param| {
                        if p == path {
                            param.data_mut()[k] += d;
                        }
                    });
                    value(&m2)
                };
                let fd = (shifted(h) - shifted(-h)) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "{path}[{k}]: finite difference {fd}, gradient {}",
                    g[k]
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 9);
        let (_, tensor_mix) = grad
            .grads
            .iter()
            .find(|(p, _)| p == "interactions.0.mix.3_2.weight")
            .expect("the 2e mixing weights have a gradient");
        assert!(tensor_mix.iter().any(|g| g.abs() > 1e-8), "{tensor_mix:?}");
    }
}
