//! What a network promises to return (rule 8): typed outputs that accept
//! only the irrep the physics requires.

use crate::feat::Feat;
use crate::graph::Graph;
use crate::irrep::{Irrep, Scalar, Vector};
use crate::real::Real;
use crate::rules::{IsEnergyLike, IsForceLike};

/// Per-atom forces: one `Vector` (1o) per atom.
#[derive(Clone, Copy, Debug)]
pub struct Forces<'t, T: Real = f64>(Feat<'t, Vector, T>);

impl<'t, T: Real> Forces<'t, T> {
    /// Declares `x` (one channel per atom) to be the forces. Only a `Vector`
    /// can be a force (rule 8).
    ///
    /// # Panics
    /// If `x` has more than one channel.
    pub fn from_feat<I: IsForceLike>(x: Feat<'t, I, T>) -> Self {
        assert_eq!(
            x.mul(),
            1,
            "forces have one Vector channel per atom, got {}",
            x.mul()
        );
        Forces(Feat::retype(x.tape(), x.id(), x.rows(), 1))
    }

    /// The forces `F = −∂(Σ energy)/∂R` of every atom of `graph`, typed: one
    /// `Vector` per atom, on the graph's tape (as a constant: the
    /// derivative of these forces by the parameters, for a force loss, is
    /// [`crate::graph::energy_force_gradient`]). The typed form of
    /// [`crate::graph::forces_from_energy`]; equivariant because the
    /// gradient of an invariant rotates, reflects and renumbers with the
    /// atoms.
    ///
    /// ```
    /// use eqv::prelude::*;
    /// use eqv::graph::Batch;
    /// let batch = Batch::from_positions(&[[0.0; 3], [0.5, 0.0, 0.0]], &[0, 0], 1.0)?;
    /// let tape = Tape::<f64>::new();
    /// let g = Graph::new(&tape, &batch);
    /// let e = g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()));
    /// let f: Forces = Forces::from_energy(&g, e);
    /// let total = g.sum_over_atoms(f.feat()); // Newton's third law: zero
    /// assert!(total.norm().to_f64()[0] < 1e-12);
    /// # Ok::<(), eqv::data::DataError>(())
    /// ```
    ///
    /// # Panics
    /// As [`crate::graph::forces_from_energy`].
    pub fn from_energy(graph: &Graph<'t, T>, energy: Feat<'t, Scalar, T>) -> Self {
        let f = crate::graph::forces_from_energy(graph, energy);
        let n = f.len();
        Forces(Feat::raw_input(
            graph.tape(),
            n,
            1,
            f.into_iter().flatten().collect(),
        ))
    }

    /// The forces as a `Vector` feature (one row per atom, one channel).
    pub fn feat(self) -> Feat<'t, Vector, T> {
        self.0
    }

    /// The forces as `[x, y, z]` per atom (for output).
    pub fn to_vec3(self) -> Vec<[f64; 3]> {
        self.0
            .to_f64()
            .chunks_exact(3)
            .map(|c| [c[0], c[1], c[2]])
            .collect()
    }
}

/// Energy: one invariant `Scalar` (0e) per structure (or per atom, before
/// summation).
#[derive(Clone, Copy, Debug)]
pub struct Energy<'t, T: Real = f64>(Feat<'t, Scalar, T>);

impl<'t, T: Real> Energy<'t, T> {
    /// Declares `x` (one channel per row) to be an energy. Only a `Scalar`
    /// can be an energy (rule 8).
    ///
    /// # Panics
    /// If `x` has more than one channel.
    pub fn from_feat<I: IsEnergyLike>(x: Feat<'t, I, T>) -> Self {
        assert_eq!(
            x.mul(),
            1,
            "an energy has one Scalar channel per row, got {}",
            x.mul()
        );
        Energy(Feat::retype(x.tape(), x.id(), x.rows(), 1))
    }

    /// The energy as a `Scalar` feature.
    pub fn feat(self) -> Feat<'t, Scalar, T> {
        self.0
    }

    /// The forces `−∇E` of this energy, typed (see [`Forces::from_energy`]).
    pub fn forces(self, graph: &Graph<'t, T>) -> Forces<'t, T> {
        Forces::from_energy(graph, self.0)
    }
}

/// Type-level description of an output irrep, for generic checking code.
pub trait OutputIrrep {
    /// The irrep of the output.
    type Ir: Irrep;
}
impl OutputIrrep for Forces<'_> {
    type Ir = Vector;
}
impl OutputIrrep for Energy<'_> {
    type Ir = Scalar;
}
