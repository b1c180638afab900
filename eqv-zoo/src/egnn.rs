//! EGNN (Satorras, Hoogeboom & Welling 2021, "E(n) Equivariant Graph Neural
//! Networks") declared with `#[equivariant]`.
//!
//! One EGNN layer, in the paper's notation:
//!
//! ```text
//! m_ij  = φ_e(h_i, h_j, |x_i − x_j|²)
//! x_i' = x_i + C Σ_j (x_i − x_j) φ_x(m_ij)
//! h_i' = h_i + φ_h(h_i, Σ_j m_ij)
//! ```
//!
//! The paper updates absolute coordinates `x_i`. eqv will not let a network
//! read them (rule 6: absolute positions are not a `Vector`, they change
//! under translations), and it does not need to: write the update as a
//! displacement `Δ_i = C Σ_j (x_i − x_j) φ_x(m_ij)`, built from edge vectors
//! only, and the relative vectors of the next layer follow as
//! `x_j' − x_i' = r_ij + Δ_j − Δ_i`. That is exactly the paper's layer, with
//! every geometric quantity a genuine, translation-free `Vector`.

use eqv::equivariant;
use eqv::prelude::*;

/// One EGNN layer: scalar messages from invariants, a vector displacement
/// of every atom along its edge vectors, and a residual node update.
#[equivariant(config(channels = 16, hidden = 32, avg_neighbors = 8.0))]
pub struct EgnnLayer {
    /// φ_e, first layer: a linear map of the concatenation
    /// `[h_i, h_j, |r_ij|²]` (three scalar blocks in, one out).
    edge_in: Linear<"{channels}x0e + {channels}x0e + 1x0e", "{hidden}x0e">,
    /// φ_e, second layer.
    edge_out: Linear<"{hidden}x0e", "{hidden}x0e">,
    /// φ_x: one invariant weight per edge for its relative vector.
    coord: Mlp<{ hidden }, { hidden }, 1>,
    /// φ_h, first layer, on `[h_i, Σ_j m_ij]`.
    node_in: Linear<"{channels}x0e + {hidden}x0e", "{hidden}x0e">,
    /// φ_h, second layer.
    node_out: Linear<"{hidden}x0e", "{channels}x0e">,
}

/// What one layer returns: new node scalars, the next layer's edge vectors,
/// and the displacement `Δ_i` of every atom.
pub struct EgnnStep<'t, T: Real> {
    /// Node features `h'` (`[atoms, channels]`, invariant).
    pub h: Feat<'t, Scalar, T>,
    /// Relative vectors after the coordinate update, `r_ij + Δ_j − Δ_i`.
    pub edges: Feat<'t, Vector, T>,
    /// The coordinate update `Δ_i` (`[atoms, 1]`, a `Vector`).
    pub delta: Feat<'t, Vector, T>,
}

impl EgnnLayer {
    /// One layer on node scalars `h` and the current relative vectors.
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        h: Feat<'t, Scalar, T>,
        edges: Feat<'t, Vector, T>,
    ) -> EgnnStep<'t, T> {
        // Messages: any function of invariants (rule 1 does not apply to scalars).
        let d2 = edges.squared_norm();
        let m = self
            .edge_in
            .forward((g.gather_centers(h), g.gather_neighbors(h), d2))
            .activate(Silu);
        let m = self.edge_out.forward(m).activate(Silu);
        // Coordinates: relative vectors scaled by invariants and summed — the
        // linearity rule. (x_i − x_j) = −r_ij with eqv's r_ij = x_j − x_i.
        let c = 1.0 / self.config().avg_neighbors;
        // φ_x ends in a tanh (as in the authors' code) so displacements stay bounded.
        let weight = self.coord.forward(m).activate(Tanh);
        let delta = -g.scatter_sum(edges.scale(weight)).scale_by(c);
        let edges = edges + g.gather_neighbors(delta) - g.gather_centers(delta);
        // Nodes: residual update from the summed messages.
        let agg = g.scatter_sum(m).scale_by(c);
        let h = h + self
            .node_out
            .forward(self.node_in.forward((h, agg)).activate(Silu));
        EgnnStep { h, edges, delta }
    }
}

/// EGNN potential: species embedding, `blocks` EGNN layers, an MLP readout
/// of the final node scalars, summed into the energy. Forces are `−∇E`.
#[equivariant(output = Energy, config(species = 1, channels = 16, hidden = 32, blocks = 3))]
pub struct Egnn {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    #[eqv(repeat = blocks)]
    layers: Vec<EgnnLayer>,
    readout: Mlp<{ channels }, { hidden }, 1>,
}

impl Egnn {
    /// The energy of each structure.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let mut h = self.embed.forward(g);
        let mut edges = g.edge_vectors();
        for layer in &self.layers {
            let step = layer.forward(g, h, edges);
            (h, edges) = (step.h, step.edges);
        }
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(h)))
    }
}

/// EGNN predicting a per-atom `Vector` directly: the total displacement
/// `Σ_layers Δ_i = x_i(final) − x_i(initial)`, the paper's coordinate output.
/// Declared `output = Forces`: returning the node scalars instead would not
/// compile (rule 8, the tutorial's "distance MLP predicts forces" mistake).
#[equivariant(output = Forces, config(species = 1, channels = 16, hidden = 32, blocks = 3))]
pub struct EgnnForces {
    embed: SpeciesEmbedding<{ species }, "{channels}x0e">,
    #[eqv(repeat = blocks)]
    layers: Vec<EgnnLayer>,
}

impl EgnnForces {
    /// One force `Vector` per atom.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Forces<'t, T> {
        let mut h = self.embed.forward(g);
        let mut edges = g.edge_vectors();
        let mut total: Option<Feat<'t, Vector, T>> = None;
        for layer in &self.layers {
            let step = layer.forward(g, h, edges);
            (h, edges) = (step.h, step.edges);
            total = Some(match total {
                Some(t) => t + step.delta,
                None => step.delta,
            });
        }
        let zero = || Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), 1);
        Forces::from_feat(total.unwrap_or_else(zero))
    }
}

fn layer_config(channels: usize, hidden: usize) -> EgnnLayerConfig {
    EgnnLayerConfig {
        channels,
        hidden,
        ..Default::default()
    }
}

/// An energy EGNN whose layer sizes agree with the top level.
pub fn egnn_config(species: usize, channels: usize, hidden: usize, blocks: usize) -> EgnnConfig {
    EgnnConfig {
        species,
        channels,
        hidden,
        blocks,
        layers: layer_config(channels, hidden),
    }
}

/// A force EGNN whose layer sizes agree with the top level.
pub fn egnn_forces_config(
    species: usize,
    channels: usize,
    hidden: usize,
    blocks: usize,
) -> EgnnForcesConfig {
    EgnnForcesConfig {
        species,
        channels,
        hidden,
        blocks,
        layers: layer_config(channels, hidden),
    }
}
