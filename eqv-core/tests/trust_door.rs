//! The one door for trust: what cannot be done without naming
//! `non_equivariant` or `authoring`, and the run-time checks behind the
//! promises that types cannot see (a custom activation's odd/even claim, a
//! new op's equivariance).

use eqv_core::authoring::{self, assert_equivariant, assert_equivariant2};
use eqv_core::ops::activation::{check_symmetry, Activation};
use eqv_core::prelude::*;
use eqv_core::rules::r9_parity::{EvenFunction, OddFunction};

/// Claims to be odd, but `exp` is not.
#[derive(Clone, Copy, Debug, Default)]
struct LyingExp;
impl Activation for LyingExp {
    type Symmetry = OddFunction;
    const NAME: &'static str = "lying_exp";
    const SECOND_MOMENT_SCALE: f64 = 1.0;
    fn eval<R: Real>(self, x: R) -> R {
        x.exp()
    }
}

/// Truly even.
#[derive(Clone, Copy, Debug, Default)]
struct Gauss;
impl Activation for Gauss {
    type Symmetry = EvenFunction;
    const NAME: &'static str = "gauss";
    const SECOND_MOMENT_SCALE: f64 = 1.0;
    fn eval<R: Real>(self, x: R) -> R {
        (-(x * x)).exp()
    }
}

#[test]
fn symmetry_claims_are_checked() {
    let err = check_symmetry(LyingExp).unwrap_err();
    assert!(
        err.contains("lying_exp") && err.contains("OddFunction") && err.contains("rule 9"),
        "{err}"
    );
    assert!(check_symmetry(Gauss).is_ok());
    assert!(
        check_symmetry(Tanh).is_ok() && check_symmetry(Abs).is_ok() && check_symmetry(Silu).is_ok()
    );
}

#[test]
#[should_panic(expected = "declares `type Symmetry = OddFunction`")]
fn a_false_odd_claim_panics_on_first_use_with_a_pseudoscalar() {
    let tape = Tape::<f64>::new();
    let p = eqv_core::non_equivariant::input::<Pseudoscalar, _>(&tape, 1, 1, vec![0.3]);
    let _ = p.activate(LyingExp);
}

#[test]
fn a_false_claim_is_harmless_on_scalars_and_true_claims_pass() {
    let tape = Tape::<f64>::new();
    let s = eqv_core::non_equivariant::input::<Scalar, _>(&tape, 1, 1, vec![0.3]);
    let _ = s.activate(LyingExp);
    let p = eqv_core::non_equivariant::input::<Pseudoscalar, _>(&tape, 1, 2, vec![0.3, -0.3]);
    let e: Feat<Scalar> = p.activate(Gauss);
    let v = e.to_f64();
    assert_eq!(v[0], v[1]);
}

#[test]
fn linear_bias_exists_only_on_scalars() {
    let mut rng = Rng::new(0);
    let mut v = Linear::<Vector, Vector>::new(3, 3, &mut rng);
    assert!(v.bias().is_none() && v.bias_mut().is_none());
    let mut names = Vec::new();
    v.visit("", &mut |n, _| names.push(n.to_string()));
    assert_eq!(names, ["weight"]);
    let s = Linear::<Scalar, Scalar>::with_bias(3, 3, &mut rng);
    assert_eq!(s.bias().unwrap().shape(), &[3]);
}

fn norm_op<'t>(x: Feat<'t, Vector>) -> Feat<'t, Scalar> {
    x.norm()
}
fn cross_op<'t>(a: Feat<'t, Vector>, b: Feat<'t, Vector>) -> Feat<'t, Pseudovector> {
    a.cross(b)
}
/// Retypes the x components of a vector as scalars: the lie `assert_equivariant` must catch.
fn x_component<'t>(x: Feat<'t, Vector>) -> Feat<'t, Scalar> {
    let v = x.data();
    let y: Vec<f64> = v.chunks_exact(3).map(|c| c[0]).collect();
    authoring::from_op(x.tape(), x.rows(), x.mul(), y, &[x.id()], |_, _| {})
}
/// Calls a cross product a vector: wrong under inversion only.
fn cross_as_vector<'t>(a: Feat<'t, Vector>, b: Feat<'t, Vector>) -> Feat<'t, Vector> {
    let c = a.cross(b);
    authoring::wrap(c.tape(), c.id(), c.rows(), c.mul())
}

/// `0/0` in every output: NaN, which a deviation folded with `f64::max`
/// would have passed over.
fn nan_op<'t>(x: Feat<'t, Vector>) -> Feat<'t, Vector> {
    x.scale_by(f64::NAN)
}

#[test]
#[should_panic(expected = "op `nan` outputs NaN or infinity for finite inputs")]
fn assert_equivariant_catches_a_nan_output() {
    assert_equivariant("nan", nan_op);
}

#[test]
fn assert_equivariant_accepts_equivariant_ops() {
    assert_equivariant("norm", norm_op);
    assert_equivariant2("cross", cross_op);
    assert_equivariant("normalize", |x: Feat<'_, Vector>| x.normalize());
}

#[test]
#[should_panic(expected = "op `x_component` is not equivariant: under proper rotation")]
fn assert_equivariant_catches_a_component_read() {
    assert_equivariant("x_component", x_component);
}

#[test]
#[should_panic(expected = "improper rotation")]
fn assert_equivariant_catches_a_wrong_parity() {
    assert_equivariant2("cross_as_vector", cross_as_vector);
}

#[test]
fn graph_groupings_match_the_graph_reductions() {
    let batch = eqv_core::graph::Batch::from_positions(
        &[[0.0; 3], [0.0, 1.0, 0.0], [1.0, 0.2, 0.0]],
        &[0, 0, 0],
        2.0,
    )
    .unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let d = g.edge_vectors().norm();
    let a = sum_rows_by(d, &g.edges_to_centers()).to_f64();
    assert_eq!(a, g.scatter_sum(d).to_f64());
    let m = mean_rows_by(d, &g.edges_to_centers()).to_f64();
    assert_eq!(m, g.scatter_mean(d).to_f64());
    let atoms = g.scatter_sum(d);
    let s = sum_rows_by(atoms, &g.atoms_to_structures()).to_f64();
    assert_eq!(s, g.sum_over_atoms(atoms).to_f64());
}
