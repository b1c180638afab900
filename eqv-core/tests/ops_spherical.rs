//! Spherical-harmonic embeddings of vectors: Y(Rv) = D(R) Y(v) for proper
//! and improper R per degree, exact VJPs (finite differences, and on dual
//! numbers), the zero vector, and agreement with `so3`.

use eqv_core::check::{relative_error, rotate_data, test_transforms, vjp_error};
use eqv_core::dual::Dual;
use eqv_core::ops::spherical::{sh_up_to, spherical_harmonic, HarmonicOf, SphericalHarmonics};
use eqv_core::prelude::*;
use eqv_core::so3::{spherical_harmonics, Normalization};

fn vectors(seed: u64, rows: usize, mul: usize) -> Vec<f64> {
    Rng::new(seed).normals(rows * mul * 3)
}

#[test]
fn each_degree_is_equivariant_under_proper_and_improper_rotations() {
    fn case<O: Irrep + HarmonicOf<Vector>>() {
        let x = vectors(O::L as u64 + 1, 4, 2);
        for normalize in [true, false] {
            let run = |x: Vec<f64>| {
                let t = Tape::<f64>::new();
                spherical_harmonic::<O, _>(
                    eqv_core::non_equivariant::input::<Vector, _>(&t, 4, 2, x),
                    normalize,
                )
                .to_f64()
            };
            let y = run(x.clone());
            for r in test_transforms(21, 4) {
                let err = relative_error(
                    &run(rotate_data::<Vector>(&x, &r)),
                    &rotate_data::<O>(&y, &r),
                );
                assert!(
                    err < 1e-10,
                    "Y^{} ({}), normalize {normalize}: {err}",
                    O::L,
                    O::NAME
                );
            }
        }
    }
    case::<Scalar>();
    case::<Vector>();
    case::<Tensor2e>();
    case::<Tensor3o>();
    case::<Tensor4e>();
    case::<Tensor5o>();
    case::<Tensor6e>();
    case::<Tensor7o>();
    case::<Tensor8e>();
}

#[test]
fn harmonics_of_a_pseudovector_are_even() {
    fn case<O: Irrep + HarmonicOf<Pseudovector>>() {
        let x = vectors(40 + O::L as u64, 3, 1);
        let run = |x: Vec<f64>| {
            let t = Tape::<f64>::new();
            eqv_core::non_equivariant::input::<Pseudovector, _>(&t, 3, 1, x)
                .spherical_harmonic::<O>(true)
                .to_f64()
        };
        let y = run(x.clone());
        for r in test_transforms(22, 3) {
            let err = relative_error(
                &run(rotate_data::<Pseudovector>(&x, &r)),
                &rotate_data::<O>(&y, &r),
            );
            assert!(err < 1e-10, "Y^{} of a pseudovector: {err}", O::L);
        }
    }
    case::<Scalar>();
    case::<Pseudovector>();
    case::<Tensor2e>();
    case::<Tensor3e>();
    case::<Tensor6e>();
}

#[test]
fn values_agree_with_so3_and_blocks_with_single_degrees() {
    let x = vectors(5, 3, 2);
    let t = Tape::<f64>::new();
    let v = eqv_core::non_equivariant::input::<Vector, _>(&t, 3, 2, x.clone());
    let sh = sh_up_to(v, 4, true);
    let blocks = [
        sh.get::<Scalar>().to_f64(),
        sh.get::<Vector>().to_f64(),
        sh.get::<Tensor2e>().to_f64(),
        sh.get::<Tensor3o>().to_f64(),
        sh.get::<Tensor4e>().to_f64(),
    ];
    let singles = [
        spherical_harmonic::<Scalar, _>(v, true).to_f64(),
        spherical_harmonic::<Vector, _>(v, true).to_f64(),
        spherical_harmonic::<Tensor2e, _>(v, true).to_f64(),
        spherical_harmonic::<Tensor3o, _>(v, true).to_f64(),
        spherical_harmonic::<Tensor4e, _>(v, true).to_f64(),
    ];
    for l in 0..5u32 {
        let d = 2 * l as usize + 1;
        assert_eq!(blocks[l as usize], singles[l as usize]);
        for k in 0..6 {
            let want = spherical_harmonics(
                l,
                [x[3 * k], x[3 * k + 1], x[3 * k + 2]],
                true,
                Normalization::Component,
            );
            let got = &blocks[l as usize][k * d..(k + 1) * d];
            assert!(relative_error(got, &want) < 1e-14);
        }
    }
    // Y^1 = √3 v̂ and |Y^l|² = 2l+1.
    let y1 = &blocks[1];
    for k in 0..6 {
        let n = (x[3 * k].powi(2) + x[3 * k + 1].powi(2) + x[3 * k + 2].powi(2)).sqrt();
        for a in 0..3 {
            assert!((y1[3 * k + a] - 3f64.sqrt() * x[3 * k + a] / n).abs() < 1e-14);
        }
        let y4 = &blocks[4][9 * k..9 * k + 9];
        assert!((y4.iter().map(|v| v * v).sum::<f64>() - 9.0).abs() < 1e-12);
    }
    // Other normalisations scale each degree.
    let norm = SphericalHarmonics::new(v, 2, true, Normalization::Norm);
    let y2n = norm.get::<Tensor2e>().to_f64();
    assert!(
        relative_error(
            &y2n,
            &blocks[2]
                .iter()
                .map(|y| y / 5f64.sqrt())
                .collect::<Vec<_>>()
        ) < 1e-14
    );
    assert_eq!(sh.lmax(), 4);
}

#[test]
fn vjps_match_finite_differences() {
    fn case<O: Irrep + HarmonicOf<Vector>>(normalize: bool) {
        let x = vectors(7 + O::L as u64, 3, 2);
        let err = vjp_error(&[x], 3, |t, ids| {
            spherical_harmonic::<O, _>(
                eqv_core::authoring::wrap::<Vector, _>(t, ids[0], 3, 2),
                normalize,
            )
            .id()
        });
        assert!(
            err < 1e-7,
            "Y^{} normalize {normalize}: vjp error {err}",
            O::L
        );
    }
    for normalize in [true, false] {
        case::<Scalar>(normalize);
        case::<Vector>(normalize);
        case::<Tensor2e>(normalize);
        case::<Tensor3o>(normalize);
        case::<Tensor6e>(normalize);
        case::<Tensor8e>(normalize);
    }
    // All degrees at once, several blocks used.
    let x = vectors(9, 4, 1);
    let err = vjp_error(&[x], 5, |t, ids| {
        let sh = sh_up_to(
            eqv_core::authoring::wrap::<Vector, _>(t, ids[0], 4, 1),
            3,
            true,
        );
        let a = sh.get::<Vector>();
        let b = sh.get::<Tensor3o>().norm();
        let c = sh.get::<Scalar>();
        a.scale(b + c).id()
    });
    assert!(err < 1e-7, "sh_up_to vjp error {err}");
}

#[test]
fn zero_vector_gives_constant_y0_zero_rest_and_zero_gradient() {
    let t = Tape::<f64>::new();
    let v = eqv_core::non_equivariant::variable::<Vector, _>(
        &t,
        2,
        1,
        vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
    );
    let sh = sh_up_to(v, 3, true);
    let y0 = sh.get::<Scalar>();
    let y2 = sh.get::<Tensor2e>();
    assert_eq!(y0.to_f64(), vec![1.0, 1.0]);
    assert!(y2.to_f64()[..5].iter().all(|&y| y == 0.0));
    let loss = y2.squared_norm() + y0;
    let g = t.backward(loss.id(), &[1.0, 1.0]).get_or_zeros(v.id());
    assert!(g.iter().all(|x| x.is_finite()));
    assert!(
        g[..3].iter().all(|&x| x == 0.0),
        "gradient at the zero vector: {:?}",
        &g[..3]
    );
    // And on dual numbers (forward-over-reverse): no NaN either.
    let td = Tape::<Dual<f64>>::new();
    let z = [0.0, 0.0, 0.0].map(|x| Dual::new(x, 1.0)).to_vec();
    let vd = eqv_core::non_equivariant::variable::<Vector, Dual<f64>>(&td, 1, 1, z);
    let y = spherical_harmonic::<Tensor2e, _>(vd, true).squared_norm();
    let gd = td
        .backward(y.id(), &[Dual::new(1.0, 0.0)])
        .get_or_zeros(vd.id());
    assert!(gd
        .iter()
        .all(|d| d.re == 0.0 && d.eps == 0.0 && d.is_finite()));
}

#[test]
fn vjp_on_dual_numbers_is_the_directional_derivative_of_the_gradient() {
    // f(v) = Σ w·Y^2(v); check d/dε ∇f(v + ε t) against differences of ∇f.
    let x = vectors(11, 1, 1);
    let tangent = [0.3, -0.7, 0.2];
    let w = Rng::new(2).normals(5);
    let grad = |x: &[f64]| {
        let t = Tape::<f64>::new();
        let v = eqv_core::non_equivariant::variable::<Vector, _>(&t, 1, 1, x.to_vec());
        let y = spherical_harmonic::<Tensor2e, _>(v, true);
        t.backward(y.id(), &w).get_or_zeros(v.id())
    };
    let td = Tape::<Dual<f64>>::new();
    let vd = eqv_core::non_equivariant::variable::<Vector, Dual<f64>>(
        &td,
        1,
        1,
        (0..3).map(|a| Dual::new(x[a], tangent[a])).collect(),
    );
    let yd = spherical_harmonic::<Tensor2e, _>(vd, true);
    let wd: Vec<Dual<f64>> = w.iter().map(|&w| Dual::new(w, 0.0)).collect();
    let gd = td.backward(yd.id(), &wd).get_or_zeros(vd.id());
    let h = 1e-6;
    let xp: Vec<f64> = (0..3).map(|a| x[a] + h * tangent[a]).collect();
    let xm: Vec<f64> = (0..3).map(|a| x[a] - h * tangent[a]).collect();
    let (gp, gm) = (grad(&xp), grad(&xm));
    let fd: Vec<f64> = (0..3).map(|a| (gp[a] - gm[a]) / (2.0 * h)).collect();
    let eps: Vec<f64> = gd.iter().map(|d| d.eps).collect();
    assert!(relative_error(&eps, &fd) < 1e-7, "{eps:?} vs {fd:?}");
}
