//! A local-frame model (the tutorial's fifth approach; DeepPot-SE, DeepH):
//! every atom builds a frame from its two nearest neighbours, describes its
//! environment by coordinates *in that frame* (invariants), predicts
//! in-frame components with ordinary MLPs, and rotates the prediction back.
//!
//! ```text
//! e1 = r1/|r1|,   e2 = (r2 − (r2·e1) e1)/|…|,   e3 = e1 × e2
//! c_ij = (r_ij·e1, r_ij·e2, r_ij·e3)                 (coordinates in i's frame)
//! D_i  = Σ_j MLP(c_ij) ∘ R(|r_ij|)                    (descriptor, invariant)
//! F_i  = a1(D_i) e1 + a2(D_i) e2 + a3_i e3,    a3_i = Σ_j (r_ij·e3) w(…)
//! ```
//!
//! **Parity.** `e1` and `e2` are `Vector`s, but `e3 = e1 × e2` is a
//! `Pseudovector` (a cross product does not flip under inversion), so the
//! third coordinate `r·e3` is a `Pseudoscalar`: it changes sign under a
//! reflection. eqv's types see this: `r.dot(e3)` does not compile (rule 3,
//! different irreps), the coordinate is a `0o` product, and `a3 e3` is a
//! `Vector` only if `a3` is a pseudoscalar. A frame code that treats `r·e3`
//! as an ordinary invariant (as many do) is only SO(3)-equivariant: its
//! mirror image predicts a different, not mirrored, answer. Here the MLPs
//! see `(r·e3)²` (even, a `Scalar`), and `a3` is odd in `r·e3`, so the model
//! is equivariant under reflections too.
//!
//! **Where it is discontinuous.** The frame is a function of *which*
//! neighbours are nearest. Wherever the nearest and second-nearest distances
//! of an atom tie (|r1| = |r2|) the choice flips and `e1`, `e2` jump; so they
//! do where the second and third tie (`e2` jumps), and the frame is
//! ill-defined where `r1 ∥ r2` (Gram-Schmidt divides by ~0) or an atom has
//! fewer than two neighbours (its frame is set to zero). Away from those
//! sets the model is smooth. The example shows the jump numerically.
//!
//! **Selecting neighbours.** eqv has no "k nearest" op. The selection is
//! computed outside the tape from the edge lengths (invariants), and enters
//! as a 0/1 `Scalar` mask on edges; `scatter_sum(r ∘ mask)` then gathers the
//! chosen edge vector onto its atom. The mask is trusted input
//! (`Feat::input`), and it is invariant because it depends on distances
//! only, never on atom numbers — except at exact ties, where the edge order
//! breaks the tie (the same set where the output jumps anyway).

use eqv::equivariant;
use eqv::prelude::*;

/// The frame model, predicting one force `Vector` per atom.
#[equivariant(output = Forces, config(hidden = 32, n_basis = 8, cutoff = 4.0, avg_neighbors = 8.0))]
pub struct LocalFrame {
    /// `Y¹(r) = √3 r/|r|`: normalisation of the frame axes (zero for a zero vector).
    dir: SphericalHarmonics<"1x1o">,
    /// Radial basis, zero at the cutoff.
    radial: Bessel<{ n_basis }, { cutoff }>,
    /// Radial weights of each edge's contribution (vanish at the cutoff).
    radial_mlp: Mlp<{ n_basis }, { hidden }, { hidden }>,
    /// MLP of the in-frame coordinates `(c1, c2, c3²)`: anything goes on invariants.
    frame_mlp: Mlp<3, { hidden }, { hidden }>,
    /// Per-edge weight of the pseudoscalar coefficient `a3`.
    odd: Mlp<{ hidden }, { hidden }, 1>,
    /// In-frame components `(a1, a2)` from the descriptor.
    coef: Mlp<{ hidden }, { hidden }, 2>,
}

/// For every atom, the edges to its nearest and second-nearest neighbour
/// (`None` if it has fewer), by edge length; ties go to the lower edge index.
pub fn nearest_two(
    num_atoms: usize,
    centers: &[usize],
    lengths: &[f64],
) -> Vec<[Option<usize>; 2]> {
    let mut best = vec![[None::<usize>; 2]; num_atoms];
    let closer = |a: usize, b: Option<usize>| b.is_none_or(|b| (lengths[a], a) < (lengths[b], b));
    for (k, &i) in centers.iter().enumerate() {
        let slot = &mut best[i];
        if closer(k, slot[0]) {
            *slot = [Some(k), slot[0]];
        } else if closer(k, slot[1]) {
            slot[1] = Some(k);
        }
    }
    best
}

/// A per-atom frame: two `Vector` axes and their cross product.
pub struct Frame<'t, T: Real> {
    /// Towards the nearest neighbour.
    pub e1: Feat<'t, Vector, T>,
    /// The second-nearest direction, orthogonalised against `e1`.
    pub e2: Feat<'t, Vector, T>,
    /// `e1 × e2`: a `Pseudovector`.
    pub e3: Feat<'t, Pseudovector, T>,
}

impl LocalFrame {
    fn unit<'t, T: Real>(&self, v: Feat<'t, Vector, T>) -> Feat<'t, Vector, T> {
        self.dir.forward(v).scale_by(1.0 / 3f64.sqrt())
    }

    /// The frame of every atom, from its two nearest neighbours.
    pub fn frames<'t, T: Real>(&self, g: &Graph<'t, T>) -> Frame<'t, T> {
        let edges = g.edge_vectors();
        let pick = nearest_two(g.num_atoms(), g.centers(), &edges.norm().to_f64());
        let chosen = |which: usize| {
            let mut mask = vec![T::ZERO; g.num_edges()];
            for k in pick.iter().filter_map(|p| p[which]) {
                mask[k] = T::ONE;
            }
            // The selected edge vector of each atom (zero if none).
            g.scatter_sum(edges.scale(eqv::non_equivariant::input::<Scalar, T>(
                g.tape(),
                g.num_edges(),
                1,
                mask,
            )))
        };
        let (r1, r2) = (chosen(0), chosen(1));
        let e1 = self.unit(r1);
        let e2 = self.unit(r2 - e1.scale(r2.dot(e1)));
        let e3 = e1.cross(e2);
        Frame { e1, e2, e3 }
    }

    /// One force per atom, predicted in its frame and rotated back.
    pub fn forward<'t, T: Real>(&self, g: &Graph<'t, T>) -> Forces<'t, T> {
        let cfg = self.config();
        let Frame { e1, e2, e3 } = self.frames(g);
        // Coordinates of every neighbour in its centre atom's frame.
        let rel = g.edge_vectors().scale_by(1.0 / cfg.cutoff);
        let c1 = rel.dot(g.gather_centers(e1));
        let c2 = rel.dot(g.gather_centers(e2));
        // r·e3 couples a Vector with a Pseudovector: a Pseudoscalar (0o).
        // (1o ⊗ 1e → 0o is (a·b)/√3 in 'component' normalisation.)
        let c3 = tensor_product::<_, _, Pseudoscalar, _>(rel, g.gather_centers(e3))
            .scale_by(3f64.sqrt());
        let inv = c1.concat(c2).concat(c3.activate(Square));
        let basis = self.radial.forward(g.edge_vectors().norm());
        let h = self
            .frame_mlp
            .forward(inv)
            .activate(Silu)
            .scale(self.radial_mlp.forward(basis));
        let k = 1.0 / cfg.avg_neighbors;
        let descriptor = g.scatter_sum(h).scale_by(k);
        let a = self.coef.forward(descriptor);
        // An odd function of r·e3: a Pseudoscalar coefficient for e3.
        let a3 = g.scatter_sum(c3.scale(self.odd.forward(h))).scale_by(k);
        let back = e1.scale(a.channels(0, 1))
            + e2.scale(a.channels(1, 2))
            + tensor_product::<_, _, Vector, _>(a3, e3);
        Forces::from_feat(back)
    }
}

/// A config with the given sizes.
pub fn local_frame_config(hidden: usize, cutoff: f64) -> LocalFrameConfig {
    LocalFrameConfig {
        hidden,
        cutoff,
        ..Default::default()
    }
}
