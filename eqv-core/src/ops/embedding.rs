//! Species embedding: the chemical element of each atom as learned
//! invariant features.
//!
//! A species is a label, invariant under every symmetry, so its embedding is
//! a `Scalar` feature: a one-hot vector ([`Graph::species_one_hot`]) through
//! a [`Linear<Scalar, Scalar>`] — a learned row per element, as in NequIP and
//! MACE.

use crate::feat::Feat;
use crate::graph::Graph;
use crate::irrep::Scalar;
use crate::ops::linear::Linear;
use crate::param::{join_path, Param, Parameters};
use crate::real::Real;
use crate::rng::Rng;

/// One-hot species → `mul` learned `Scalar` channels per atom.
///
/// ```
/// use eqv::prelude::*;
/// use eqv::graph::Batch;
/// use eqv::ops::embedding::SpeciesEmbedding;
/// let mut rng = Rng::new(0);
/// let emb = SpeciesEmbedding::new(3, 16, &mut rng);
/// let batch = Batch::from_positions(&[[0.0; 3], [1.0, 0.0, 0.0]], &[0, 2], 2.0)?;
/// let tape = Tape::<f64>::new();
/// let h = emb.forward(&Graph::new(&tape, &batch)); // [2 atoms, 16 channels]
/// assert_eq!((h.rows(), h.mul()), (2, 16));
/// # Ok::<(), eqv::data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SpeciesEmbedding {
    /// The map from one-hot species to channels (no bias).
    pub linear: Linear<Scalar, Scalar>,
}

impl SpeciesEmbedding {
    /// An embedding of `n_species` elements into `mul` channels.
    pub fn new(n_species: usize, mul: usize, rng: &mut Rng) -> Self {
        SpeciesEmbedding {
            linear: Linear::new(n_species, mul, rng),
        }
    }

    /// Number of species the embedding knows.
    pub fn n_species(&self) -> usize {
        self.linear.mul_in()
    }
    /// Output channels.
    pub fn mul(&self) -> usize {
        self.linear.mul_out()
    }

    /// The embedding of every atom of the graph, `[atoms, mul]`.
    ///
    /// # Panics
    /// If an atom's species index is `>= n_species()`.
    pub fn forward<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        self.linear.forward(graph.species_one_hot(self.n_species()))
    }

    /// The embedding of a given one-hot (or soft) species feature `[rows,
    /// n_species]`.
    pub fn forward_one_hot<'t, T: Real>(
        &self,
        one_hot: Feat<'t, Scalar, T>,
    ) -> Feat<'t, Scalar, T> {
        self.linear.forward(one_hot)
    }
}

impl Parameters for SpeciesEmbedding {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.linear.visit(&join_path(prefix, "linear"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.linear.visit_mut(&join_path(prefix, "linear"), f);
    }
}
