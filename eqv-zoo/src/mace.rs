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
        // Dual numbers along a direction: the tangent is −F·d.
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

    /// L = Σ E² + Σ c_i·F_i: its parameter gradient by forward-over-reverse
    /// (the trainer's path, dual numbers through the contraction) against
    /// central differences of the contraction's weights.
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
        let value = |m: &Mace| {
            let tape = Tape::<f64>::new();
            let g = Graph::new(&tape, &b);
            let ef = energy_and_forces(&g, m.predict(&g));
            loss_of(&ef.energies, &ef.forces)
        };
        let h = 1e-5;
        let mut checked = 0;
        for (path, g) in grad.grads.iter().filter(|(p, _)| p.contains("product")) {
            for k in [0, 7, g.len() - 1] {
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
        assert_eq!(checked, 12);
    }
}
