//! Forces as `F = −∂E/∂R`, and the parameter gradient of a force loss.
//!
//! An invariant energy gives equivariant forces for free (the tutorial's
//! third example): the gradient of a rotation-invariant function rotates
//! with its argument, and the gradient of a permutation-invariant function
//! is renumbered with it. So eqv never predicts forces directly; it
//! differentiates the energy with one backward pass of the tape.
//!
//! Training on forces needs more: the gradient of `|F − F*|²` with respect
//! to the parameters θ involves `∂F/∂θ = −∂²E/∂θ∂R`, a mixed second
//! derivative. eqv gets it *forward-over-reverse*: the same model runs on
//! dual numbers `Dual(R, t)` with the tangent `t = −∂L/∂F`, and the backward
//! pass of that tape — the ordinary VJPs, evaluated in dual arithmetic —
//! carries `∂/∂θ (t · ∂E/∂R)` in the tangent parts of the parameter
//! gradients. [`energy_force_gradient`] packages this.

use super::batch::Batch;
use super::graph::Graph;
use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::Scalar;
use crate::param::Parameters;
use crate::real::Real;
use crate::tape::Tape;

/// `F = −∂(Σ energy)/∂R` for every atom of the graph, by one backward pass.
///
/// `energy` is normally one row per structure; since structures share no
/// edges, the gradient of the sum over structures gives each atom the force
/// of its own structure's energy. Works for any number type: on
/// `Dual<f64>` the tangent parts are the forces' directional derivatives.
///
/// ```
/// use eqv::prelude::*;
/// use eqv::graph::{forces_from_energy, Batch};
/// // E = |r_1 − r_0|² summed over both directed edges: F_1 = −4 (r_1 − r_0).
/// let batch = Batch::from_positions(&[[0.0; 3], [0.5, 0.0, 0.0]], &[0, 0], 1.0)?;
/// let tape = Tape::<f64>::new();
/// let g = Graph::new(&tape, &batch);
/// let e = g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()));
/// let f = forces_from_energy(&g, e);
/// assert!((f[1][0] + 2.0).abs() < 1e-12 && (f[0][0] - 2.0).abs() < 1e-12);
/// # Ok::<(), eqv::data::DataError>(())
/// ```
///
/// # Panics
/// If the graph was built with [`Graph::untracked`] (it has no position
/// gradient) or `energy` lives on another tape.
pub fn forces_from_energy<'t, T: Real>(
    graph: &Graph<'t, T>,
    energy: Feat<'t, Scalar, T>,
) -> Vec<[T; 3]> {
    let tape = graph.tape();
    assert!(
        std::ptr::eq(energy.tape(), tape),
        "forces_from_energy: the energy lives on another tape than the graph"
    );
    let pid = graph.positions_leaf();
    assert!(
        tape.is_tracked(pid),
        "forces_from_energy: the graph's positions are untracked (Graph::untracked); build it with Graph::new"
    );
    let seed = vec![T::ONE; energy.rows() * energy.mul()];
    let grads = tape.backward(energy.id(), &seed);
    let g = grads.get_or_zeros(pid);
    g.chunks_exact(3).map(|c| [-c[0], -c[1], -c[2]]).collect()
}

/// Energies (one per row of the energy feature) and forces of one pass.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyForces<T> {
    /// The energy of each structure.
    pub energies: Vec<T>,
    /// `F = −∂E/∂R` of each atom.
    pub forces: Vec<[T; 3]>,
}

/// The energy values and the forces `−∂E/∂R` together.
///
/// # Panics
/// As [`forces_from_energy`].
pub fn energy_and_forces<'t, T: Real>(
    graph: &Graph<'t, T>,
    energy: Feat<'t, Scalar, T>,
) -> EnergyForces<T> {
    EnergyForces {
        energies: energy.data().to_vec(),
        forces: forces_from_energy(graph, energy),
    }
}

/// A model that maps a graph to one energy per structure, in any number
/// type. Implement it (the method is generic over `T`, which a closure
/// cannot be) to get [`energy_force_gradient`].
pub trait EnergyModel {
    /// The energy of each structure, `[structures, 1]`.
    fn energy<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T>;
}

/// A loss and its derivatives with respect to the model's outputs: what the
/// loss closure of [`energy_force_gradient`] (and
/// [`energy_force_stress_gradient`](super::energy_force_stress_gradient))
/// returns.
#[derive(Clone, Debug, PartialEq)]
pub struct LossTerms {
    /// The loss value `L`.
    pub value: f64,
    /// `∂L/∂E_s`, one per structure.
    pub d_energies: Vec<f64>,
    /// `∂L/∂F_i`, one per atom.
    pub d_forces: Vec<[f64; 3]>,
    /// `∂L/∂σ_s` (σ the stress in eV/Å³), one per structure, or empty when
    /// the loss has no stress term. Ignored for structures without a
    /// periodic cell (they have no stress).
    pub d_stresses: Vec<[[f64; 3]; 3]>,
}

/// What [`energy_force_gradient`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct LossGradient {
    /// The loss value.
    pub loss: f64,
    /// The model's energy of each structure.
    pub energies: Vec<f64>,
    /// The model's forces.
    pub forces: Vec<[f64; 3]>,
    /// The model's stress of each structure (eV/Å³), `None` without a
    /// periodic cell or when the stress was not asked for.
    pub stresses: Vec<Option<[[f64; 3]; 3]>>,
    /// `∂L/∂θ` of each parameter, in [`Parameters::visit`] order, with its
    /// path.
    pub grads: Vec<(String, Vec<f64>)>,
}

/// The parameter gradient of a loss of energies *and forces*, by
/// forward-over-reverse differentiation.
///
/// `loss(energies, forces)` returns `L`, `∂L/∂E` and `∂L/∂F`
/// ([`LossTerms`]); [`Loss::terms`](super::Loss::terms) is the usual choice.
/// Two passes, both in `f64` ([`loss_gradient`] chooses the precision):
///
/// 1. on `f64`: energies `E`, forces `F = −∂E/∂R` (one backward);
/// 2. on `Dual<f64>`, positions seeded with the tangent `t = −∂L/∂F`
///    ([`Graph::with_position_tangent`]), backward with the seed
///    `Dual(1, ∂L/∂E_s)` on each structure's energy. The tangent part of each
///    parameter's gradient is then
///    `Σ_s ∂L/∂E_s · ∂E_s/∂θ + ∂/∂θ (t · ∂E/∂R) = ∂L/∂E · ∂E/∂θ + ∂L/∂F · ∂F/∂θ`,
///    exactly `dL/dθ` (the primal part, `∂ΣE/∂θ`, is not used).
///
/// Cost: about two forward and two backward passes, the second pair in dual
/// numbers. No op needs a second-derivative implementation. For a loss on
/// the stress too, see
/// [`energy_force_stress_gradient`](super::energy_force_stress_gradient).
pub fn energy_force_gradient<M: EnergyModel + Parameters>(
    model: &M,
    batch: &Batch,
    loss: impl FnOnce(&[f64], &[[f64; 3]]) -> LossTerms,
) -> LossGradient {
    loss_gradient(model, batch, Precision::F64, false, |e, f, _| loss(e, f))
}

/// The number type the two passes of [`loss_gradient`] run in.
///
/// The parameters, the optimiser state, the loss and the targets stay in
/// `f64` whatever the choice (mixed precision): the parameters are rounded
/// to the pass's type when they are put on the tape, and the energies,
/// forces, stresses and gradients come back as `f64`. Reference energies
/// (E0) are subtracted from the targets in `f64` before the loss compares
/// them, so the passes only carry the residual energy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32` and `Dual<f32>`: half the memory traffic and twice the SIMD
    /// lanes of `f64`; about 7 significant digits in forces and gradients.
    F32,
    /// `f64` and `Dual<f64>`.
    #[default]
    F64,
}

impl Precision {
    /// `"f32"` or `"f64"`.
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(Precision::F32),
            "f64" => Ok(Precision::F64),
            _ => Err(format!("precision `{s}`: expected f32 or f64")),
        }
    }
}

/// The loss gradient of [`energy_force_gradient`] (`stress = false`) or
/// [`energy_force_stress_gradient`](super::energy_force_stress_gradient)
/// (`stress = true`: the strain is on the tape, the loss also sees the
/// stresses, and `∂L/∂σ` becomes a tangent of the strain), with both passes
/// run in `precision`.
///
/// The loss closure always sees and returns `f64` ([`LossTerms`]).
pub fn loss_gradient<M: EnergyModel + Parameters>(
    model: &M,
    batch: &Batch,
    precision: Precision,
    stress: bool,
    loss: impl FnOnce(&[f64], &[[f64; 3]], &[Option<[[f64; 3]; 3]>]) -> LossTerms,
) -> LossGradient {
    match precision {
        Precision::F32 => two_passes::<f32, M>(model, batch, stress, loss),
        Precision::F64 => two_passes::<f64, M>(model, batch, stress, loss),
    }
}

/// The two passes of [`energy_force_gradient`] on numbers of type `F`
/// (`f32` or `f64`; the second pass on `Dual<F>`).
fn two_passes<F: Real, M: EnergyModel + Parameters>(
    model: &M,
    batch: &Batch,
    stress: bool,
    loss: impl FnOnce(&[f64], &[[f64; 3]], &[Option<[[f64; 3]; 3]>]) -> LossTerms,
) -> LossGradient {
    let to_f64 = |v: Vec<[F; 3]>| -> Vec<[f64; 3]> {
        v.into_iter()
            .map(|x| [x[0].value(), x[1].value(), x[2].value()])
            .collect()
    };
    // Pass 1: energies, forces (and stresses); the parameter gradients come
    // from pass 2.
    let tape = Tape::<F>::inference();
    let (energies, forces, stresses) = if stress {
        let g = Graph::with_strain(&tape, batch);
        let out = super::stress::energy_forces_stress(&g, model.energy(&g));
        let stresses = out
            .stresses
            .into_iter()
            .map(|s| s.map(|s| s.map(|row| row.map(|x| x.value()))))
            .collect();
        (out.energies, to_f64(out.forces), stresses)
    } else {
        let g = Graph::new(&tape, batch);
        let ef = energy_and_forces(&g, model.energy(&g));
        (
            ef.energies,
            to_f64(ef.forces),
            vec![None; batch.num_structures()],
        )
    };
    let energies: Vec<f64> = energies.into_iter().map(|e| e.value()).collect();
    let LossTerms {
        value,
        d_energies: de,
        d_forces: df,
        d_stresses: ds,
    } = loss(&energies, &forces, &stresses);
    assert_eq!(de.len(), energies.len(), "loss: ∂L/∂E has the wrong length");
    assert_eq!(df.len(), forces.len(), "loss: ∂L/∂F has the wrong length");
    assert!(
        ds.is_empty() || ds.len() == batch.num_structures(),
        "loss: ∂L/∂σ has the wrong length"
    );

    // Pass 2: dual numbers, positions seeded with t = −∂L/∂F and (stress)
    // the strain with D = sym(∂L/∂σ) / V, since σ = sym(∂E/∂ε) / V.
    let tangent: Vec<[f64; 3]> = df.iter().map(|f| [-f[0], -f[1], -f[2]]).collect();
    let dtape = Tape::<Dual<F>>::new();
    let dg = if stress {
        let d: Vec<[[f64; 3]; 3]> = (0..batch.num_structures())
            .map(|s| match (ds.get(s), batch.volume(s)) {
                (Some(d), Some(v)) => {
                    std::array::from_fn(|a| std::array::from_fn(|b| 0.5 * (d[a][b] + d[b][a]) / v))
                }
                _ => [[0.0; 3]; 3],
            })
            .collect();
        Graph::with_untracked_tangents(&dtape, batch, &tangent, &d)
    } else {
        Graph::with_untracked_position_tangent(&dtape, batch, &tangent)
    };
    let e = model.energy(&dg);
    let seed: Vec<Dual<F>> = de
        .iter()
        .map(|&d| Dual::new(F::ONE, F::from_f64(d)))
        .collect();
    let grads = dtape.backward(e.id(), &seed);
    let mut out = Vec::new();
    model.visit("", &mut |path, p| {
        let gp = match dtape.param_id(p) {
            Some(id) => grads
                .get_or_zeros(id)
                .iter()
                .map(|d| d.eps.value())
                .collect(),
            None => vec![0.0; p.len()],
        };
        out.push((path.to_string(), gp));
    });
    LossGradient {
        loss: value,
        energies,
        forces,
        stresses,
        grads: out,
    }
}
