//! `check_model_equivariance` with an absolute floor: an output that
//! vanishes by symmetry is not reported as broken because of rounding
//! noise, and a broken model is reported with the transformation and its
//! absolute and relative deviation.

use eqv_core::equivariance::check_model_equivariance;
use eqv_core::graph::Batch;
use eqv_core::model::{kind, IntoDeclared, Model};
use eqv_core::param::{Param, Parameters};
use eqv_core::prelude::*;

/// Σ over directed edges of (r_j − r_i): zero for every structure, up to
/// rounding.
struct VanishingDipole;
impl Parameters for VanishingDipole {
    fn visit(&self, _: &str, _: &mut dyn FnMut(&str, &Param)) {}
    fn visit_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Param)) {}
}
impl Model for VanishingDipole {
    type Output = kind::Dipole;
    fn predict<'t, T: Real>(&self, g: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
        g.sum_over_atoms(g.scatter_sum(g.edge_vectors()))
    }
}

/// The positions' centroid, through the opt-out: not translation invariant.
struct Centroid;
impl Parameters for Centroid {
    fn visit(&self, _: &str, _: &mut dyn FnMut(&str, &Param)) {}
    fn visit_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Param)) {}
}
impl Model for Centroid {
    type Output = kind::Dipole;
    fn predict<'t, T: Real>(&self, g: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
        g.mean_over_atoms(eqv_core::non_equivariant::positions(g))
    }
}

fn batch() -> Batch {
    Batch::from_positions(
        &[
            [0.1, 0.0, 0.0],
            [1.0, 0.3, 0.0],
            [0.2, 1.1, 0.4],
            [0.9, 0.8, 1.0],
        ],
        &[0, 0, 1, 1],
        1.8,
    )
    .unwrap()
}

#[test]
fn an_output_that_vanishes_by_symmetry_is_equivariant() {
    let r = check_model_equivariance(&VanishingDipole, &batch(), 3);
    assert!(r.is_equivariant(1e-12), "{r}");
    assert!(
        r.deviations
            .iter()
            .all(|d| d.abs < 1e-12 && d.scale < 1e-12),
        "{r:?}"
    );
}

#[test]
fn a_broken_model_is_reported_with_its_transformation() {
    let r = check_model_equivariance(&Centroid, &batch(), 3);
    assert!(!r.is_equivariant(1e-6), "{r}");
    assert!(
        r.rotation < 1e-12 && r.reflection < 1e-12 && r.permutation < 1e-12,
        "{r}"
    );
    let (name, d) = r.worst();
    assert_eq!(name, "translation");
    assert!(d.abs > 0.1 && d.relative() > 0.01, "{d}");
    let text = r.to_string();
    assert!(
        text.contains("worst: translation, max |Δ|") && text.contains("relative"),
        "{text}"
    );
}

/// [`VanishingDipole`] times NaN: every output is NaN, so nothing about it
/// can be verified.
struct NanDipole;
impl Parameters for NanDipole {
    fn visit(&self, _: &str, _: &mut dyn FnMut(&str, &Param)) {}
    fn visit_mut(&mut self, _: &str, _: &mut dyn FnMut(&str, &mut Param)) {}
}
impl Model for NanDipole {
    type Output = kind::Dipole;
    fn predict<'t, T: Real>(&self, g: &Graph<'t, T>) -> impl IntoDeclared<'t, Self::Output, T> {
        g.sum_over_atoms(g.scatter_sum(g.edge_vectors()))
            .scale_by(f64::NAN)
    }
}

#[test]
fn a_model_that_outputs_nan_is_not_equivariant() {
    let r = check_model_equivariance(&NanDipole, &batch(), 3);
    assert!(!r.is_equivariant(1e-6), "{r}");
    assert!(r.max().is_infinite(), "{r}");
    assert!(r.deviations.iter().all(|d| d.abs.is_infinite()), "{r:?}");
}
