//! The Bessel radial basis with polynomial envelope: values, the limit at
//! r = 0, smoothness at the cutoff, exact VJPs, and an energy that stays
//! continuous when an atom crosses the cutoff.

use eqv_core::check::{relative_error, vjp_error};
use eqv_core::dual::Dual;
use eqv_core::graph::{energy_and_forces, Batch, Graph};
use eqv_core::ops::radial::{polynomial_cutoff, BesselBasis};
use eqv_core::prelude::*;
use eqv_core::real::derivative;
use std::f64::consts::PI;

fn basis_f64(b: &BesselBasis, r: f64) -> Vec<f64> {
    let mut out = vec![0.0; b.num_basis()];
    b.eval_into(r, &mut out);
    out
}

#[test]
fn values_follow_the_formula_and_have_a_finite_limit_at_zero() {
    let (rc, p) = (4.0, 6);
    let b = BesselBasis::new(rc, 5);
    for r in [0.3, 1.7, 3.2] {
        let x: f64 = r / rc;
        let u = 1.0 - 28.0 * x.powi(6) + 48.0 * x.powi(7) - 21.0 * x.powi(8);
        assert!((polynomial_cutoff(x, p) - u).abs() < 1e-14);
        let got = basis_f64(&b, r);
        for n in 1..=5 {
            let want = (2.0 / rc).sqrt() * (n as f64 * PI * r / rc).sin() / r * u;
            assert!((got[n - 1] - want).abs() < 1e-14, "n = {n}, r = {r}");
        }
    }
    // Many functions (sines by recurrence): still the formula.
    let b16 = BesselBasis::new(rc, 16);
    for r in [0.05, 0.9, 2.5, 3.99] {
        let x: f64 = r / rc;
        let u = polynomial_cutoff(x, p);
        for (n, got) in basis_f64(&b16, r).into_iter().enumerate() {
            let n = n as f64 + 1.0;
            let want = (2.0 / rc).sqrt() * (n * PI * r / rc).sin() / r * u;
            assert!(
                (got - want).abs() < 1e-13,
                "n = {n}, r = {r}: {got} vs {want}"
            );
        }
    }
    let at0 = basis_f64(&b, 0.0);
    for n in 1..=5 {
        assert!((at0[n - 1] - (2.0 / rc).sqrt() * n as f64 * PI / rc).abs() < 1e-14);
    }
    // The series branch near 0 joins the direct formula smoothly (value and
    // first two derivatives) at its switching point a·r = 10⁻².
    let a = 5.0 * PI / rc;
    let r_switch = 1e-2 / a;
    let f = |r: Dual<Dual<f64>>| {
        let mut o = vec![Dual::<Dual<f64>>::ZERO; 5];
        b.eval_into(r, &mut o);
        o[4]
    };
    let below = f(Dual::new(
        Dual::new(r_switch * (1.0 - 1e-9), 1.0),
        Dual::new(1.0, 0.0),
    ));
    let above = f(Dual::new(
        Dual::new(r_switch * (1.0 + 1e-9), 1.0),
        Dual::new(1.0, 0.0),
    ));
    assert!((below.re.re - above.re.re).abs() < 1e-12);
    assert!((below.re.eps - above.re.eps).abs() < 1e-9);
    assert!((below.eps.eps - above.eps.eps).abs() < 1e-6);
}

#[test]
fn basis_and_its_derivatives_vanish_at_the_cutoff() {
    for p in [2, 5, 6, 8] {
        let u1 = derivative(|x| polynomial_cutoff(x, p), 1.0 - 1e-12);
        let u2 = derivative(
            |y: Dual<Dual<f64>>| polynomial_cutoff(y, p),
            Dual::variable(1.0 - 1e-12),
        )
        .eps;
        assert!(polynomial_cutoff(1.0 - 1e-12, p).abs() < 1e-14, "p = {p}");
        assert!(
            u1.abs() < 1e-9 && u2.abs() < 1e-6,
            "p = {p}: u' = {u1}, u'' = {u2}"
        );
        assert_eq!(polynomial_cutoff(1.0, p), 0.0);
        assert_eq!(polynomial_cutoff(2.0, p), 0.0);
    }
    let b = BesselBasis::new(3.0, 8);
    let r = 3.0 - 1e-6;
    let vals = basis_f64(&b, r);
    assert!(vals.iter().all(|v| v.abs() < 1e-15), "{vals:?}");
    let mut d = vec![Dual::<f64>::ZERO; 8];
    b.eval_into(Dual::variable(r), &mut d);
    assert!(d.iter().all(|d| d.eps.abs() < 1e-9), "{d:?}");
    assert!(basis_f64(&b, 3.5).iter().all(|&v| v == 0.0));
}

#[test]
fn forward_vjp_matches_finite_differences() {
    let b = BesselBasis::new(2.5, 6).with_envelope_degree(5);
    assert_eq!(b.envelope_degree(), 5);
    // Includes a distance near 0 (series branch) and one beyond the cutoff.
    let r = vec![0.0005, 0.4, 1.1, 1.9, 2.45, 3.0];
    let err = vjp_error(&[r], 2, |t, ids| {
        b.forward(eqv_core::authoring::wrap::<Scalar, _>(t, ids[0], 3, 2))
            .id()
    });
    assert!(err < 1e-7, "vjp error {err}");
    let t = Tape::<f64>::new();
    let y = b.forward(eqv_core::non_equivariant::input::<Scalar, _>(
        &t,
        3,
        2,
        vec![0.5; 6],
    ));
    assert_eq!((y.rows(), y.mul()), (3, 12));
}

/// Energy of a trimer in which atom 2 moves along x across the cutoff of
/// atom 0 (and stays out of reach of atom 1); the neighbour list is rebuilt
/// at every position, so the 0–2 edges appear and disappear.
fn trimer_energy(mlp: &ScalarMlp, basis: &BesselBasis, x: f64) -> (f64, Vec<[f64; 3]>) {
    let pos = [[0.0, 0.0, 0.0], [-0.9, 0.7, 0.0], [x, 0.0, 0.0]];
    let batch = Batch::from_positions(&pos, &[0, 0, 0], basis.r_max()).unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let e = g.sum_over_atoms(g.scatter_sum(mlp.forward(basis.forward(g.edge_vectors().norm()))));
    let ef = energy_and_forces(&g, e);
    (ef.energies[0], ef.forces)
}

#[test]
fn energy_is_continuous_when_an_atom_crosses_the_cutoff() {
    let basis = BesselBasis::new(2.0, 8);
    let mlp = ScalarMlp::new(&[8, 16, 1], Silu, &mut Rng::new(3));
    let mut prev_de = f64::INFINITY;
    for delta in [1e-2, 1e-3, 1e-4] {
        let (e_in, f_in) = trimer_energy(&mlp, &basis, 2.0 - delta);
        let (e_out, f_out) = trimer_energy(&mlp, &basis, 2.0 + delta);
        let de = (e_in - e_out).abs();
        let df = (f_in[2][0] - f_out[2][0]).abs();
        // The envelope vanishes to third order: ΔE ~ δ³, ΔF ~ δ².
        assert!(de < 50.0 * delta.powi(3), "δ = {delta}: ΔE = {de}");
        assert!(df < 50.0 * delta.powi(2), "δ = {delta}: ΔF = {df}");
        assert!(de < prev_de);
        prev_de = de;
    }
    // A sanity check that the edge matters inside the cutoff.
    let (e_near, _) = trimer_energy(&mlp, &basis, 1.2);
    let (e_far, _) = trimer_energy(&mlp, &basis, 2.5);
    assert!(relative_error(&[e_near], &[e_far]) > 1e-3);
}
