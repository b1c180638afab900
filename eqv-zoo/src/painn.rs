//! PaiNN (Schütt, Unke & Gastegger 2021, "Equivariant message passing for
//! the prediction of tensorial properties and molecular spectra") declared
//! with `#[equivariant]`: every atom carries `F` scalar channels `s_i` and
//! `F` vector channels `v_i`; interaction blocks alternate a message and an
//! update step.
//!
//! ```text
//! message:  (a_vv, a_s, a_vs)_ij = φ(s_j) ∘ W(|r_ij|)            (3F invariants per edge)
//!           Δs_i = Σ_j a_s
//!           Δv_i = Σ_j a_vv ∘ v_j + Σ_j a_vs · r̂_ij
//! update:   (b_vv, b_sv, b_ss)_i = φ'(s_i, |V v_i|)
//!           Δv_i = b_vv ∘ U v_i
//!           Δs_i = b_sv ∘ ⟨U v_i, V v_i⟩ + b_ss
//! ```
//!
//! Differences from the paper, all in what the layers `#[equivariant]`
//! generates: linear layers have no bias (e3nn's convention), the filter
//! `W` is a linear map of a Bessel basis whose polynomial envelope plays
//! the role of the cosine cutoff, sums over neighbours are divided by an
//! average neighbour count, and `|V v|` is the ε-norm `√(|V v|² + ε)`
//! (see [`SmoothSqrt`]).

use eqv::equivariant;
use eqv::prelude::*;
use eqv::rules::r9_parity::NoSymmetry;

/// `√(x + ε)`: the length of a vector from its squared length, smooth at
/// zero (PaiNN's ε-norm). `norm()` is not differentiable at a zero vector,
/// and symmetric structures have them (the centre of a tetrahedron gets
/// `Σ_j r̂_ij = 0`): there the gradient, and so the force, would depend on
/// rounding. A user-defined activation — it acts on an invariant, so rule 1
/// allows anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct SmoothSqrt;

impl Activation for SmoothSqrt {
    type Symmetry = NoSymmetry;
    const NAME: &'static str = "smooth_sqrt";
    const SECOND_MOMENT_SCALE: f64 = 1.0;
    fn eval<R: Real>(self, x: R) -> R {
        (x + R::from_f64(1e-8)).sqrt()
    }
}

/// One PaiNN interaction: the message block and the update block.
#[equivariant(config(features = 16, n_basis = 8, avg_neighbors = 8.0))]
pub struct PainnBlock {
    /// φ, first layer (on neighbour scalars).
    msg_hidden: Linear<"{features}x0e", "{features}x0e">,
    /// φ, second layer, split into the three message channels (vv, s, vs).
    msg_split: Linear<"{features}x0e", "{features}x0e + {features}x0e + {features}x0e">,
    /// The continuous filter `W(|r_ij|)`, split the same way.
    filter: Linear<"{n_basis}x0e", "{features}x0e + {features}x0e + {features}x0e">,
    /// `U`: mixes vector channels (never their components, rule 2).
    u: Linear<"{features}x1o", "{features}x1o">,
    /// `V`: mixes vector channels.
    v: Linear<"{features}x1o", "{features}x1o">,
    /// φ', first layer, on `[s_i, |V v_i|]`.
    upd_hidden: Linear<"{features}x0e + {features}x0e", "{features}x0e">,
    /// φ', second layer, split into (vv, sv, ss).
    upd_split: Linear<"{features}x0e", "{features}x0e + {features}x0e + {features}x0e">,
}

/// PaiNN node features: `F` scalars and `F` vectors per atom.
pub type PainnNodes<'t, T> = (Feat<'t, Scalar, T>, Feat<'t, Vector, T>);

impl PainnBlock {
    /// Message then update; `dir` is the unit edge vector `r̂_ij`, `basis`
    /// the radial basis of `|r_ij|`.
    pub fn forward<'t, T: Real>(
        &self,
        g: &Graph<'t, T>,
        dir: Feat<'t, Vector, T>,
        basis: Feat<'t, Scalar, T>,
        (s, v): PainnNodes<'t, T>,
    ) -> PainnNodes<'t, T> {
        let k = 1.0 / self.config().avg_neighbors;
        // Message: invariants of the neighbour times invariants of the edge.
        let phi = self.msg_split.forward(
            self.msg_hidden
                .forward(g.gather_neighbors(s))
                .activate(Silu),
        );
        let w = self.filter.forward(basis);
        let (a_vv, a_s, a_vs) = (phi.0.scale(w.0), phi.1.scale(w.1), phi.2.scale(w.2));
        let ds = g.scatter_sum(a_s).scale_by(k);
        // Vectors: neighbour vectors and the edge direction, each scaled by
        // invariants (rule 1). `a_vs ⊗ r̂` broadcasts the single direction
        // channel over the F channels (0e ⊗ 1o → 1o is plain scaling).
        let dv = g.gather_neighbors(v).scale(a_vv) + tensor_product::<_, _, Vector, _>(a_vs, dir);
        let (s, v) = (s + ds, v + g.scatter_sum(dv).scale_by(k));

        // Update: norms and inner products turn vectors into invariants.
        let (uv, vv) = (self.u.forward(v), self.v.forward(v));
        let b = self.upd_split.forward(
            self.upd_hidden
                .forward((s, vv.squared_norm().activate(SmoothSqrt)))
                .activate(Silu),
        );
        let (b_vv, b_sv, b_ss) = b;
        let s = s + uv.dot(vv).scale(b_sv) + b_ss;
        let v = v + uv.scale(b_vv);
        (s, v)
    }
}

/// The PaiNN potential: embedding, `blocks` interactions, an MLP readout of
/// the scalars summed into the energy (forces `−∇E`).
#[equivariant(
    output = Energy,
    config(species = 1, features = 16, n_basis = 8, cutoff = 4.0, blocks = 3)
)]
pub struct Painn {
    embed: SpeciesEmbedding<{ species }, "{features}x0e">,
    /// `Y¹(r̂) = √3 r̂`: the edge direction as a unit-free `Vector`.
    dir: SphericalHarmonics<"1x1o">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    #[eqv(repeat = blocks)]
    interactions: Vec<PainnBlock>,
    readout: Mlp<{ features }, { features }, 1>,
}

impl Painn {
    /// The energy of each structure.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Energy<'t, T> {
        let edges = g.edge_vectors();
        let dir = self.dir.forward(edges).scale_by(1.0 / 3f64.sqrt());
        let basis = self.radial.forward(edges.norm());
        let f = self.config().features;
        let mut x = (
            self.embed.forward(g),
            Feat::<Vector, T>::zeros(g.tape(), g.num_atoms(), f),
        );
        for block in &self.interactions {
            x = block.forward(g, dir, basis, x);
        }
        Energy::from_feat(g.sum_over_atoms(self.readout.forward(x.0)))
    }
}

/// A config whose block sizes agree with the top level.
pub fn painn_config(
    species: usize,
    features: usize,
    n_basis: usize,
    blocks: usize,
    cutoff: f64,
) -> PainnConfig {
    PainnConfig {
        species,
        features,
        n_basis,
        blocks,
        cutoff,
        interactions: PainnBlockConfig {
            features,
            n_basis,
            ..Default::default()
        },
    }
}
