//! A NequIP-like potential declared with `#[equivariant]`: species
//! embedding, spherical harmonics of edge vectors, a Bessel radial basis,
//! and interaction blocks (channel-wise tensor product with weights from a
//! radial MLP, scatter-sum over neighbours, linear, gate, residual).

use eqv::equivariant;
use eqv::prelude::*;

/// One interaction block (TFN/NequIP convolution).
#[equivariant(config(
    channels = 16,
    vectors = 8,
    n_basis = 8,
    radial_hidden = 16,
    avg_neighbors = 16.0
))]
pub struct Interaction {
    /// Weights of every tensor-product path, per edge, from the radial basis.
    radial: Mlp<{ n_basis }, { radial_hidden }, conv>,
    /// Neighbour features ⊗ edge harmonics, path by path.
    conv: ChannelwiseTp<"{channels}x0e + {vectors}x1o", "1x0e + 1x1o + 1x2e", "0e + 1o">,
    /// Mixes the messages into scalars, gates and vectors.
    mix: Linear<conv, "{channels}x0e + {vectors}x0e + {vectors}x1o">,
    /// Scalars through SiLU, vectors scaled by sigmoid gates.
    gate: Gate<"{channels}x0e", "{vectors}x1o">,
    /// The residual path.
    skip: Linear<"{channels}x0e + {vectors}x1o", "{channels}x0e + {vectors}x1o">,
}

/// Node features of a NequIP layer: scalars and vectors per atom.
pub type Nodes<'t, T> = (Feat<'t, Scalar, T>, Feat<'t, Vector, T>);
/// Spherical harmonics of the edge vectors, degrees 0, 1 and 2.
pub type EdgeHarmonics<'t, T> = (
    Feat<'t, Scalar, T>,
    Feat<'t, Vector, T>,
    Feat<'t, Tensor2e, T>,
);

impl Interaction {
    /// Messages from neighbours, aggregated, mixed, gated, plus the residual.
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        sh: EdgeHarmonics<'t, T>,
        basis: Feat<'t, Scalar, T>,
        x: Nodes<'t, T>,
    ) -> Nodes<'t, T> {
        let weights = self.radial.forward(basis);
        // Σ over each atom's edges of (neighbour features ⊗ edge harmonics),
        // in one fused pass (`conv.forward` on gathered features, then
        // `scatter_sum`, gives the same numbers).
        let (m0, m1) = self.conv.convolve(g, x, sh, weights);
        let k = 1.0 / self.config().avg_neighbors;
        let aggregated = (m0.scale_by(k), m1.scale_by(k));
        let (s, v) = self.gate.forward(self.mix.forward(aggregated));
        let (s0, v0) = self.skip.forward(x);
        (s + s0, v + v0)
    }
}

/// The whole potential: E = Σ_atoms readout(scalars after the last layer).
#[equivariant(
    output = Energy,
    config(species = 1, channels = 16, vectors = 8, n_basis = 8, cutoff = 4.0, layers = 2, scale = 1.0)
)]
pub struct Nequip {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    sh: SphericalHarmonics<"1x0e + 1x1o + 1x2e">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    #[eqv(repeat = layers)]
    interactions: Vec<Interaction>,
    hidden: Linear<"{channels}x0e", "{channels}x0e">,
    readout: Linear<"{channels}x0e", "1x0e">,
}

impl Nequip {
    /// The energy of each structure in the batch.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let edges = g.edge_vectors();
        let sh = self.sh.forward(edges);
        let basis = self.radial.forward(edges.norm());
        let vectors = self.config().vectors;
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), vectors),
        );
        for layer in &self.interactions {
            x = layer.forward(g, sh, basis, x);
        }
        // Per-atom energies in units of the data's typical force × 1 Å
        // (NequIP's per-atom scale), so the network works with O(1) numbers.
        let per_atom = self
            .readout
            .forward(self.hidden.forward(x.0).activate(Silu))
            .scale_by(self.config().scale);
        Energy::from_feat(g.sum_over_atoms(per_atom))
    }
}

/// A config whose sub-network sizes agree with the top level.
pub fn nequip_config(
    species: usize,
    channels: usize,
    vectors: usize,
    layers: usize,
    cutoff: f64,
) -> NequipConfig {
    NequipConfig {
        species,
        channels,
        vectors,
        layers,
        cutoff,
        interactions: InteractionConfig {
            channels,
            vectors,
            ..Default::default()
        },
        ..Default::default()
    }
}
