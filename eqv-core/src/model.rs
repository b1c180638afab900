//! Whole networks: what they take (a [`Graph`] of atoms), what they promise
//! to return ([`OutputKind`], rule 8), and the check that they keep the
//! promise.

use crate::feat::Feat;
use crate::graph::Graph;
use crate::irrep::{Irrep, Scalar, Vector};
use crate::output::{Energy, Forces};
use crate::param::Parameters;
use crate::real::Real;
use crate::rules::{IsChargeLike, IsDipoleLike, IsEnergyLike, IsForceLike};

/// What a network returns: an irrep, per atom or per structure.
pub trait OutputKind: Send + Sync + 'static {
    /// The irrep of the output.
    type Ir: Irrep;
    /// `true`: one row per atom; `false`: one row per structure.
    const PER_ATOM: bool;
    /// The name used in summaries and messages.
    const NAME: &'static str;
}

/// The outputs a network can declare (`#[equivariant(output = Energy)]`).
pub mod kind {
    use super::OutputKind;
    use crate::irrep::{Scalar, Vector};

    /// One `Scalar` (0e) per structure; forces follow as `−∇E`.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Energy;
    /// One `Vector` (1o) per atom, predicted directly.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Forces;
    /// One `Vector` (1o) per structure.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Dipole;
    /// One `Scalar` (0e) per atom.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Charges;

    impl OutputKind for Energy {
        type Ir = Scalar;
        const PER_ATOM: bool = false;
        const NAME: &'static str = "Energy";
    }
    impl OutputKind for Forces {
        type Ir = Vector;
        const PER_ATOM: bool = true;
        const NAME: &'static str = "Forces";
    }
    impl OutputKind for Dipole {
        type Ir = Vector;
        const PER_ATOM: bool = false;
        const NAME: &'static str = "Dipole";
    }
    impl OutputKind for Charges {
        type Ir = Scalar;
        const PER_ATOM: bool = true;
        const NAME: &'static str = "Charges";
    }
}

/// A complete network on atomic structures.
///
/// `#[equivariant(output = Energy)]` implements it from the user's
/// `forward(&self, graph) -> ...`, checking at compile time that what
/// `forward` returns is what `output` promises.
///
/// A hand-written implementation names its output kind and returns
/// anything that can stand for it (rule 8, checked by [`IntoDeclared`]):
///
/// ```
/// use eqv::model::{kind, IntoDeclared, Model};
/// use eqv::param::{Param, Parameters};
/// use eqv::prelude::*;
/// struct PairEnergy;
/// impl Parameters for PairEnergy {
///     fn visit(&self, _: &str, _: &mut dyn FnMut(&str, &Param)) {}
///     fn visit_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Param)) {}
/// }
/// impl Model for PairEnergy {
///     type Output = kind::Energy;
///     fn predict<'t, T: Real>(&self, g: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
///         g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()))
///     }
/// }
/// ```
///
/// Returning scalars from a model that declares `kind::Forces` is rule 8's
/// compile error ("`Scalar` features cannot be forces"), in the signature
/// or in the body.
pub trait Model: Parameters + Sync {
    /// What the network promises to return.
    type Output: OutputKind;
    /// Runs the network on a batch of structures, in any number type. The
    /// result must stand for the declared output (rule 8); callers that
    /// want the feature use [`Model::output`].
    fn predict<'t, T: Real>(&self, graph: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T>;

    /// [`Model::predict`] as a feature of the declared irrep.
    fn output<'t, T: Real>(
        &self,
        graph: &Graph<'t, T>,
    ) -> Feat<'t, <Self::Output as OutputKind>::Ir, T> {
        self.predict(graph).into_declared()
    }
}

/// Rule 8: a value returned by `forward` can stand for the declared output
/// `K`.
#[diagnostic::on_unimplemented(
    message = "`forward` returns `{Self}`, but the network declares its output as `{K}`",
    label = "declared here",
    note = "rule 8: the declared output is a promise about how the result transforms; `Energy` needs one Scalar (0e) per structure, `Forces` one Vector (1o) per atom",
    note = "fix: return what the declaration promises, or change `output = ...`; see `eqv::rules::r8_output_type`"
)]
pub trait IntoDeclared<'t, K: OutputKind, T: Real> {
    /// The output as a feature of the declared irrep.
    fn into_declared(self) -> Feat<'t, K::Ir, T>;
}

fn retype<'t, I: Irrep, O: Irrep, T: Real>(x: Feat<'t, I, T>) -> Feat<'t, O, T> {
    debug_assert_eq!(I::IR, O::IR);
    Feat::retype(x.tape(), x.id(), x.rows(), x.mul())
}

impl<'t, T: Real, I: IsEnergyLike> IntoDeclared<'t, kind::Energy, T> for Feat<'t, I, T> {
    fn into_declared(self) -> Feat<'t, Scalar, T> {
        Energy::from_feat(self).feat()
    }
}
impl<'t, T: Real> IntoDeclared<'t, kind::Energy, T> for Energy<'t, T> {
    fn into_declared(self) -> Feat<'t, Scalar, T> {
        self.feat()
    }
}
impl<'t, T: Real, I: IsChargeLike> IntoDeclared<'t, kind::Charges, T> for Feat<'t, I, T> {
    fn into_declared(self) -> Feat<'t, Scalar, T> {
        retype(self)
    }
}
impl<'t, T: Real, I: IsForceLike> IntoDeclared<'t, kind::Forces, T> for Feat<'t, I, T> {
    fn into_declared(self) -> Feat<'t, Vector, T> {
        Forces::from_feat(self).feat()
    }
}
impl<'t, T: Real> IntoDeclared<'t, kind::Forces, T> for Forces<'t, T> {
    fn into_declared(self) -> Feat<'t, Vector, T> {
        self.feat()
    }
}
impl<'t, T: Real, I: IsDipoleLike> IntoDeclared<'t, kind::Dipole, T> for Feat<'t, I, T> {
    fn into_declared(self) -> Feat<'t, Vector, T> {
        retype(self)
    }
}

/// Converts what `forward` returned into the declared output (rule 8). The
/// macro calls it at the span of `output = ...`.
pub fn into_declared<'t, K: OutputKind, T: Real>(
    x: impl IntoDeclared<'t, K, T>,
) -> Feat<'t, K::Ir, T> {
    x.into_declared()
}

/// Checks that a network's output has the rows its declared kind promises
/// (rule 8): one per atom (`Forces`, `Charges`) or one per structure
/// (`Energy`, `Dipole`). `#[equivariant]` models call it in `predict`.
///
/// # Panics
/// With the model's name, the declared output, the rows promised and the
/// rows returned, and the fix.
pub fn check_output_rows<K: OutputKind, T: Real>(
    model: &str,
    graph: &Graph<'_, T>,
    out: &Feat<'_, K::Ir, T>,
) {
    let (want, per, other, fix) = if K::PER_ATOM {
        (
            graph.num_atoms(),
            "atom",
            graph.num_structures(),
            "return one row per atom (per-structure values reach atoms with `g.broadcast_to_atoms(..)`)",
        )
    } else {
        (
            graph.num_structures(),
            "structure",
            graph.num_atoms(),
            "sum per-atom values into one row per structure with `g.sum_over_atoms(..)`",
        )
    };
    if out.rows() != want {
        let hint = if out.rows() == other && other != want {
            if K::PER_ATOM {
                " (one per structure?)"
            } else {
                " (one per atom?)"
            }
        } else {
            ""
        };
        panic!(
            "{model}: `output = {}` promises one {} row per {per} ({want} for this batch), but `forward` returned {} rows{hint}; \
             rule 8: the declared output is a promise about what the result is; fix: {fix}; see `eqv::rules::r8_output_type`",
            K::NAME,
            <K::Ir as Irrep>::NAME,
            out.rows(),
        );
    }
}

/// Every network that declares `output = Energy` is an energy model: it
/// trains on energies and forces through [`crate::graph::energy_force_gradient`].
impl<M: Model<Output = kind::Energy>> crate::graph::EnergyModel for M {
    fn energy<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        self.output(graph)
    }
}
