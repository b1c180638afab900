//! Stress and virial as `∂E/∂ε`, by the same backward pass as the forces.
//!
//! A homogeneous strain `ε` deforms a periodic structure as `r → r (I + ε)`:
//! positions *and* the image shifts `n · cell` of the edges (row vectors).
//! [`Graph::with_strain`] puts `ε` on the tape as a leaf at zero, so one
//! backward pass of the energy gives both `∂E/∂R` (the forces) and `∂E/∂ε`.
//! This is exact for every model, whatever it reads (edge vectors, centred
//! positions), because the deformation is applied where geometry enters the
//! graph, not reconstructed afterwards from edge gradients.
//!
//! Conventions are ASE's: the stress is `σ = (1/V) ∂E/∂ε` for a symmetric
//! strain, in eV/Å³, positive under tension (a stretched crystal pulls
//! back); the virial is `W = −V σ` (eV); the pressure is `−tr σ / 3`.
//! ASE's Voigt order is `xx yy zz yz xz xy` ([`voigt`]).
//!
//! Training on stresses needs `∂σ/∂θ`, a mixed second derivative like the
//! force term's: [`energy_force_stress_gradient`] seeds the strain with the
//! tangent `sym(∂L/∂σ) / V` on dual numbers, in the same second pass that
//! carries the force term, so a stress term costs no extra pass.

use super::batch::Batch;
use super::forces::{loss_gradient, EnergyModel, LossGradient, LossTerms, Precision};
use super::graph::Graph;
use crate::feat::Feat;
use crate::irrep::Scalar;
use crate::param::Parameters;
use crate::real::Real;

/// A 3×3 tensor, `[row][column]`.
pub type Tensor3<T> = [[T; 3]; 3];

/// Energies, forces, virials and stresses of one backward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyForcesStress<T> {
    /// The energy of each structure (eV).
    pub energies: Vec<T>,
    /// `F = −∂E/∂R` of each atom (eV/Å).
    pub forces: Vec<[T; 3]>,
    /// The virial `W = −sym(∂E/∂ε)` of each structure (eV); for a finite
    /// structure this is `Σ_i r_i ⊗ F_i` symmetrised.
    pub virials: Vec<Tensor3<T>>,
    /// The stress `σ = sym(∂E/∂ε) / V` of each structure (eV/Å³), `None`
    /// without a cell periodic in all three directions.
    pub stresses: Vec<Option<Tensor3<T>>>,
}

/// Energies, forces, virials and stresses, by one backward pass through a
/// graph built with [`Graph::with_strain`] (or [`Graph::strained`]).
///
/// The strain derivative is symmetrised: the stress is the derivative with
/// respect to a *symmetric* strain (rotation-invariant energies give a
/// symmetric `∂E/∂ε` anyway; the symmetrisation only removes rounding).
///
/// ```
/// use eqv::prelude::*;
/// use eqv::graph::{energy_forces_stress, Batch};
/// // One atom in a cubic cell of side 3 Å; with a cutoff of 3.5 Å it sees
/// // its 6 images at 3 Å. E = Σ_edges |r|² = 54; stretching x by (1 + ε)
/// // gives E = 2 · 9 (1 + ε)² + 36, so σ_xx = (1/V) dE/dε = 36 / 27.
/// let cell = [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]];
/// let b = Batch::from_structure(&[[0.0; 3]], &[0], Some(&cell), [true; 3], 3.5)?;
/// let tape = Tape::<f64>::new();
/// let g = Graph::with_strain(&tape, &b);
/// let e = g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()));
/// let out = energy_forces_stress(&g, e);
/// let s = out.stresses[0].unwrap();
/// assert!((out.energies[0] - 54.0).abs() < 1e-12);
/// assert!((s[0][0] - 36.0 / 27.0).abs() < 1e-12 && s[0][1].abs() < 1e-12);
/// # Ok::<(), eqv::data::DataError>(())
/// ```
///
/// # Panics
/// If the graph has no strain leaf (it was not built with
/// [`Graph::with_strain`] or [`Graph::strained`]), or `energy` lives on
/// another tape.
pub fn energy_forces_stress<'t, T: Real>(
    graph: &Graph<'t, T>,
    energy: Feat<'t, Scalar, T>,
) -> EnergyForcesStress<T> {
    let tape = graph.tape();
    assert!(
        std::ptr::eq(energy.tape(), tape),
        "energy_forces_stress: the energy lives on another tape than the graph"
    );
    let eid = graph
        .strain_leaf()
        .expect("energy_forces_stress: the graph has no strain; build it with Graph::with_strain");
    let seed = vec![T::ONE; energy.rows() * energy.mul()];
    let grads = tape.backward(energy.id(), &seed);
    let gp = grads.get_or_zeros(graph.positions_leaf());
    let ge = grads.get_or_zeros(eid);
    let forces = gp.chunks_exact(3).map(|c| [-c[0], -c[1], -c[2]]).collect();
    let half = T::from_f64(0.5);
    let mut virials = Vec::with_capacity(graph.num_structures());
    let mut stresses = Vec::with_capacity(graph.num_structures());
    for (s, volume) in graph.volumes().iter().enumerate() {
        let d = &ge[9 * s..9 * s + 9];
        let sym: Tensor3<T> =
            std::array::from_fn(|a| std::array::from_fn(|b| half * (d[3 * a + b] + d[3 * b + a])));
        virials.push(sym.map(|row| row.map(|x| -x)));
        stresses.push(volume.map(|v| {
            let inv = T::from_f64(1.0 / v);
            sym.map(|row| row.map(|x| x * inv))
        }));
    }
    EnergyForcesStress {
        energies: energy.data().to_vec(),
        forces,
        virials,
        stresses,
    }
}

/// A stress tensor in ASE's Voigt order `[xx, yy, zz, yz, xz, xy]` (what
/// `atoms.get_stress()` returns).
pub fn voigt<T: Copy>(t: &Tensor3<T>) -> [T; 6] {
    [t[0][0], t[1][1], t[2][2], t[1][2], t[0][2], t[0][1]]
}

/// The parameter gradient of a loss of energies, forces *and stresses*, by
/// forward-over-reverse differentiation: [`energy_force_gradient`]'s two
/// passes with the strain on the tape.
///
/// `loss(energies, forces, stresses)` returns `L` and its derivatives,
/// including `∂L/∂σ_s` in [`LossTerms::d_stresses`] (σ in eV/Å³; entries
/// for structures without a periodic cell are ignored). In the dual pass the
/// strain carries the tangent `D_s = sym(∂L/∂σ_s) / V_s` next to the
/// positions' `−∂L/∂F`, so the tangent of each parameter gradient gains
/// `∂/∂θ (D : ∂E/∂ε) = ∂L/∂σ · ∂σ/∂θ`: the stress term is exact and costs no
/// extra pass.
///
/// [`energy_force_gradient`]: super::energy_force_gradient
pub fn energy_force_stress_gradient<M: EnergyModel + Parameters>(
    model: &M,
    batch: &Batch,
    loss: impl FnOnce(&[f64], &[[f64; 3]], &[Option<Tensor3<f64>>]) -> LossTerms,
) -> LossGradient {
    loss_gradient(model, batch, Precision::F64, true, loss)
}
