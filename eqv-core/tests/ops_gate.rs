//! Gates and norm activations: equivariance (proper and improper rotations,
//! f64), VJPs against finite differences, zero safety (values, gradients and
//! dual-number derivatives at x = 0), normalisation, and a Hessian-vector
//! product through the tape run on dual numbers.

use eqv_core::check::{relative_error, test_transforms, vjp_error};
use eqv_core::dual::Dual;
use eqv_core::ops::norm_activation::NORM_EPSILON;
use eqv_core::prelude::*;
use eqv_core::tape::NodeId;

const TOL: f64 = 1e-10;
const VJP_TOL: f64 = 1e-7;

fn random(seed: u64, n: usize) -> Vec<f64> {
    Rng::new(seed).normals(n)
}

/// Worst equivariance error of `f(x)` (`I` in, `I` out) over the test transforms.
fn equivariance_error<I: Irrep>(x: &[f64], f: impl Fn(&Tape<f64>, Vec<f64>) -> Vec<f64>) -> f64 {
    eqv_core::check::equivariance_error::<I, I>(x, &test_transforms(23, 3), |x| f(&Tape::new(), x))
}

fn gate_case<I: Irrep, A: Activation>(act: A) -> (f64, f64) {
    let (rows, mul) = (3, 2);
    let x = random(I::DIM as u64, rows * mul * I::DIM);
    let mut eq = 0.0_f64;
    let mut vj = 0.0_f64;
    for gm in [mul, 1] {
        let g = random(50 + gm as u64, rows * gm);
        eq = eq.max(equivariance_error::<I>(&x, |t, x| {
            gate(
                eqv_core::non_equivariant::input::<Scalar, _>(t, rows, gm, g.clone()),
                eqv_core::non_equivariant::input::<I, _>(t, rows, mul, x),
                act,
            )
            .to_f64()
        }));
        vj = vj.max(vjp_error(&[g.clone(), x.clone()], 4, |t, ids| {
            gate(
                eqv_core::authoring::wrap::<Scalar, _>(t, ids[0], rows, gm),
                eqv_core::authoring::wrap::<I, _>(t, ids[1], rows, mul),
                act,
            )
            .id()
        }));
        // Same values as the unfused composition of existing ops.
        let t = Tape::new();
        let (gf, xf) = (
            eqv_core::non_equivariant::input::<Scalar, _>(&t, rows, gm, g),
            eqv_core::non_equivariant::input::<I, _>(&t, rows, mul, x.clone()),
        );
        let fused = gate(gf, xf, act).to_f64();
        let composed = xf.scale(gf.activate(act)).to_f64();
        assert!(relative_error(&fused, &composed) < 1e-15);
    }
    assert!(eq < TOL, "gate on {}: equivariance error {eq:e}", I::NAME);
    assert!(vj < VJP_TOL, "gate on {}: vjp error {vj:e}", I::NAME);
    (eq, vj)
}

#[test]
fn gates_are_equivariant_for_every_irrep_with_exact_vjps() {
    let cases = [
        gate_case::<Scalar, _>(Silu),
        gate_case::<Pseudoscalar, _>(Sigmoid),
        gate_case::<Vector, _>(Sigmoid),
        gate_case::<Pseudovector, _>(Tanh),
        gate_case::<Tensor2o, _>(Silu),
        gate_case::<Tensor3e, _>(Softplus),
        gate_case::<Tensor4e, _>(Sigmoid),
        gate_case::<Tensor8o, _>(Sigmoid),
    ];
    let eq = cases.iter().map(|c| c.0).fold(0.0, f64::max);
    let vj = cases.iter().map(|c| c.1).fold(0.0, f64::max);
    eprintln!("gate: worst equivariance error {eq:e}, worst vjp error {vj:e}");
}

#[test]
fn gate_layer_activates_scalars_and_gates_the_rest() {
    let t = Tape::new();
    let s = eqv_core::non_equivariant::input::<Scalar, _>(&t, 2, 2, vec![0.5, -1.0, 2.0, 0.0]);
    let p = eqv_core::non_equivariant::input::<Pseudoscalar, _>(&t, 2, 1, vec![0.5, -0.5]);
    let g = eqv_core::non_equivariant::input::<Scalar, _>(&t, 2, 1, vec![0.3, -2.0]);
    let v = eqv_core::non_equivariant::input::<Vector, _>(
        &t,
        2,
        1,
        vec![1.0, 2.0, 3.0, -1.0, 0.0, 1.0],
    );
    let layer: Gate = Gate::default();
    assert_eq!(layer.scalars(s).to_f64(), s.activate(Silu).to_f64());
    assert_eq!(layer.gated(g, v).to_f64(), gate(g, v, Sigmoid).to_f64());
    // Rule 9: an odd activation keeps a pseudoscalar a pseudoscalar.
    let odd: Feat<Pseudoscalar> = Gate::new(Tanh, Sigmoid).scalars(p);
    let o = odd.to_f64();
    assert!((o[0] + o[1]).abs() < 1e-15);
}

#[test]
fn gated_features_keep_unit_second_moment() {
    let (rows, mul) = (2000, 4);
    let t = Tape::new();
    let g = eqv_core::non_equivariant::input::<Scalar, _>(&t, rows, mul, random(1, rows * mul));
    let x =
        eqv_core::non_equivariant::input::<Tensor2e, _>(&t, rows, mul, random(2, rows * mul * 5));
    for m in [gate(g, x, Sigmoid).to_f64(), gate(g, x, Silu).to_f64()] {
        let m2 = m.iter().map(|v| v * v).sum::<f64>() / m.len() as f64;
        assert!((m2 - 1.0).abs() < 0.1, "second moment {m2}");
    }
}

fn norm_activation_case<I: Irrep, A: Activation>(act: A) -> (f64, f64) {
    let (rows, mul) = (2, 3);
    let x = random(7 + I::DIM as u64, rows * mul * I::DIM);
    let eq = equivariance_error::<I>(&x, |t, x| {
        eqv_core::non_equivariant::input::<I, _>(t, rows, mul, x)
            .norm_activation(act)
            .to_f64()
    });
    let vj = vjp_error(std::slice::from_ref(&x), 8, |t, ids| {
        norm_activation(eqv_core::authoring::wrap::<I, _>(t, ids[0], rows, mul), act).id()
    });
    // What it computes: |y| = f(|x|), y parallel to x.
    let t = Tape::new();
    let y = eqv_core::non_equivariant::input::<I, _>(&t, rows, mul, x.clone())
        .norm_activation(act)
        .to_f64();
    for (xc, yc) in x.chunks(I::DIM).zip(y.chunks(I::DIM)) {
        let n = xc.iter().map(|v| v * v).sum::<f64>().sqrt();
        let k = act.eval(n) / n;
        for (a, b) in xc.iter().zip(yc) {
            assert!((k * a - b).abs() < 1e-14);
        }
    }
    assert!(
        eq < TOL,
        "norm_activation on {}: equivariance error {eq:e}",
        I::NAME
    );
    assert!(
        vj < VJP_TOL,
        "norm_activation on {}: vjp error {vj:e}",
        I::NAME
    );
    (eq, vj)
}

#[test]
fn norm_activations_are_equivariant_with_exact_vjps() {
    let cases = [
        norm_activation_case::<Scalar, _>(Tanh),
        norm_activation_case::<Pseudoscalar, _>(Silu),
        norm_activation_case::<Vector, _>(Silu),
        norm_activation_case::<Pseudovector, _>(Sigmoid),
        norm_activation_case::<Tensor2e, _>(Softplus),
        norm_activation_case::<Tensor3o, _>(Tanh),
        norm_activation_case::<Tensor8e, _>(Silu),
    ];
    let eq = cases.iter().map(|c| c.0).fold(0.0, f64::max);
    let vj = cases.iter().map(|c| c.1).fold(0.0, f64::max);
    eprintln!("norm_activation: worst equivariance error {eq:e}, worst vjp error {vj:e}");
}

/// At x = 0 (and below ε): zero output, finite gradients in f64, finite
/// first and second derivatives on dual numbers.
fn zero_safety<A: Activation>(act: A) {
    for scale in [0.0, 0.3 * NORM_EPSILON] {
        let x0 = vec![scale, -scale, 0.5 * scale];
        let t = Tape::<f64>::new();
        let x = eqv_core::non_equivariant::variable::<Vector, _>(&t, 1, 1, x0.clone());
        let y = x.norm_activation(act);
        assert!(y.to_f64().iter().all(|v| v.is_finite()));
        if scale == 0.0 {
            assert_eq!(y.to_f64(), vec![0.0; 3]);
        }
        let g = t.backward(y.id(), &[1.0, 2.0, 3.0]).get_or_zeros(x.id());
        assert!(
            g.iter().all(|v| v.is_finite()),
            "{}: gradient {g:?}",
            A::NAME
        );
        // Forward-over-reverse at the same point.
        let t = Tape::<Dual<f64>>::new();
        let x = eqv_core::non_equivariant::variable::<Vector, Dual<f64>>(
            &t,
            1,
            1,
            x0.iter().map(|&v| Dual::new(v, 1.0)).collect(),
        );
        let y = x.norm_activation(act).squared_norm();
        assert!(y.data().iter().all(|v| v.is_finite()));
        let g = t
            .backward(y.id(), &[Dual::constant(1.0)])
            .get_or_zeros(x.id());
        assert!(
            g.iter().all(|v| v.is_finite()),
            "{}: dual gradient {g:?}",
            A::NAME
        );
    }
}

#[test]
fn norm_activation_is_zero_safe() {
    zero_safety(Silu);
    zero_safety(Tanh);
    zero_safety(Sigmoid);
    zero_safety(Softplus);
    // f(0) = 0: the scale tends to f'(0) at zero, nothing blows up.
    let t = Tape::<f64>::new();
    let x = eqv_core::non_equivariant::variable::<Vector, _>(&t, 1, 1, vec![0.0; 3]);
    let y = x.norm_activation(Tanh);
    let g = t.backward(y.id(), &[1.0, 0.0, 0.0]).get_or_zeros(x.id());
    assert!(
        (g[0] - 1.0).abs() < 1e-12 && g[1] == 0.0 && g[2] == 0.0,
        "{g:?}"
    );
}

/// `L(x) = Σ cot · norm_activation(gate(|x|², x))`.
fn gated_norm<'t, T: Real>(tape: &'t Tape<T>, x: NodeId, rows: usize) -> Feat<'t, Tensor2o, T> {
    let x = eqv_core::authoring::wrap::<Tensor2o, T>(tape, x, rows, 2);
    gate(x.squared_norm(), x, Silu).norm_activation(Softplus)
}

#[test]
fn hessian_vector_product_through_gate_and_norm_activation() {
    let rows = 2;
    let n = rows * 2 * 5;
    let (x0, dir, cot) = (random(1, n), random(2, n), random(3, n));
    let grad = |x: &[f64]| {
        let t = Tape::<f64>::new();
        let id = t.variable(x.to_vec());
        let y = gated_norm(&t, id, rows);
        t.backward(y.id(), &cot).get_or_zeros(id)
    };
    let t = Tape::<Dual<f64>>::new();
    let id = t.variable(
        x0.iter()
            .zip(&dir)
            .map(|(&x, &v)| Dual::new(x, v))
            .collect(),
    );
    let y = gated_norm(&t, id, rows);
    let g = t
        .backward(
            y.id(),
            &cot.iter().map(|&c| Dual::constant(c)).collect::<Vec<_>>(),
        )
        .get_or_zeros(id);
    let h = 1e-5;
    let shift = |s: f64| {
        x0.iter()
            .zip(&dir)
            .map(|(&x, &v)| x + s * v)
            .collect::<Vec<_>>()
    };
    let (gp, gm) = (grad(&shift(h)), grad(&shift(-h)));
    let fd: Vec<f64> = gp
        .iter()
        .zip(&gm)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    assert!(relative_error(&g.iter().map(|d| d.re).collect::<Vec<_>>(), &grad(&x0)) < 1e-14);
    let err = relative_error(&g.iter().map(|d| d.eps).collect::<Vec<_>>(), &fd);
    eprintln!("gate + norm_activation Hessian-vector product: relative error {err:e}");
    assert!(err < 1e-7, "HVP error {err:e}");
}
