//! A MACE-style potential (Batatia et al. 2022, "MACE: Higher order
//! equivariant message passing neural networks") declared with
//! `#[equivariant]`: two-body A-features from a channel-wise tensor product
//! summed over neighbours, then higher-order B-features by iterated
//! Clebsch-Gordan products of A with itself, up to correlation order 3
//! (four-body terms in one layer).
//!
//! ```text
//! A_i  = Σ_j R(|r_ij|) · (h_j ⊗ Y(r̂_ij))                      (0e, 1o, 2e)
//! B2_i = W2 · [A⊗A → 0e, 0e, 0e | 1o, 1o | 2e, 2e, 2e]         (channel by channel)
//! B3_i = B2_i ⊗ A_i → 0e (3 paths), 1o (4 paths)
//! m_i  = W · [A, B2, B3]          h_i' = m_i + skip(h_i)
//! E    = Σ_i Σ_layers readout(h_i^t) + MLP(h_i^T)
//! ```
//!
//! Differences from MACE: the weights of the product basis are linear maps
//! across channels (`b2_mix`, `product`) rather than MACE's per-channel,
//! per-species symmetric contraction, and there is no species-dependent
//! skip connection. The products themselves are MACE's: element-wise
//! (channel `k` with channel `k`) Clebsch-Gordan products.

use eqv::equivariant;
use eqv::prelude::*;

/// One MACE layer: A-features, the product basis to correlation order 3,
/// the message, the residual and a linear site-energy readout.
#[equivariant(config(channels = 8, n_basis = 8, radial_hidden = 16, avg_neighbors = 8.0))]
pub struct MaceLayer {
    /// Weights of every tensor-product path, per edge, from the radial basis.
    radial: Mlp<{ n_basis }, { radial_hidden }, conv>,
    /// Neighbour features ⊗ edge harmonics (the one-particle basis).
    conv: ChannelwiseTp<"{channels}x0e + {channels}x1o", "1x0e + 1x1o + 1x2e", "0e + 1o + 2e">,
    /// A-features: the paths of `conv` mixed into `channels` of each irrep.
    a_mix: Linear<conv, "{channels}x0e + {channels}x1o + {channels}x2e">,
    /// Correlation order 2: the eight A ⊗ A paths into 0e, 1o, 2e, mixed.
    b2_mix: Linear<
        "{channels}x0e + {channels}x0e + {channels}x0e + {channels}x1o + {channels}x1o + {channels}x2e + {channels}x2e + {channels}x2e",
        "{channels}x0e + {channels}x1o + {channels}x2e",
    >,
    /// The message: a learned combination of correlation orders 1, 2 and 3
    /// (0e: A, B2, three B3 paths; 1o: A, B2, four B3 paths).
    product: Linear<
        "{channels}x0e + {channels}x0e + {channels}x0e + {channels}x0e + {channels}x0e + {channels}x1o + {channels}x1o + {channels}x1o + {channels}x1o + {channels}x1o + {channels}x1o",
        "{channels}x0e + {channels}x1o",
    >,
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

        // Correlation order 2: every A ⊗ A path into 0e, 1o and 2e. The
        // output irrep is named; a path the selection or parity rule forbids
        // (say 1o ⊗ 1o → 1o) does not compile (rule 4).
        let (b0, b1, b2) = self.b2_mix.forward((
            tensor_product::<_, _, Scalar, _>(a0, a0),
            tensor_product::<_, _, Scalar, _>(a1, a1),
            tensor_product::<_, _, Scalar, _>(a2, a2),
            tensor_product::<_, _, Vector, _>(a0, a1),
            tensor_product::<_, _, Vector, _>(a1, a2),
            tensor_product::<_, _, Tensor2e, _>(a0, a2),
            tensor_product::<_, _, Tensor2e, _>(a1, a1),
            tensor_product::<_, _, Tensor2e, _>(a2, a2),
        ));

        // Correlation order 3: B2 ⊗ A, into the irreps the nodes carry.
        let (s, v) = self.product.forward((
            a0,
            b0,
            tensor_product::<_, _, Scalar, _>(b0, a0),
            tensor_product::<_, _, Scalar, _>(b1, a1),
            tensor_product::<_, _, Scalar, _>(b2, a2),
            a1,
            b1,
            tensor_product::<_, _, Vector, _>(b0, a1),
            tensor_product::<_, _, Vector, _>(b1, a0),
            tensor_product::<_, _, Vector, _>(b1, a2),
            tensor_product::<_, _, Vector, _>(b2, a1),
        ));
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
            channels,
            ..Default::default()
        },
        ..Default::default()
    }
}
