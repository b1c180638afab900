//! Mathematical properties of eqv's O(3) functions for every degree up to 8
//! (and a few beyond): what makes them the right objects, independent of any
//! reference implementation.

use eqv_core::dual::Dual;
use eqv_core::rng::Rng;
use eqv_core::so3::rotation::{
    matrix_to_quaternion, matrix_x, matrix_y, quaternion_to_matrix, random_angles,
};
use eqv_core::so3::{
    angles_to_matrix, axis_angle_to_matrix, clebsch_gordan, clebsch_gordan_sparse,
    clebsch_gordan_table, matrix_to_angles, matrix_to_axis_angle, random_orthogonal,
    random_rotation, spherical_harmonics, spherical_harmonics_up_to, wigner_d,
    wigner_d_from_angles, wigner_d_matrix, wigner_d_up_to, Handedness, Normalization,
};
use nalgebra::{DMatrix, Matrix3, Vector3};
use proptest::prelude::*;
use std::f64::consts::PI;

const L: u32 = 8;

fn max_abs(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn dmat(l: u32, d: &[f64]) -> DMatrix<f64> {
    let n = 2 * l as usize + 1;
    DMatrix::from_row_slice(n, n, d)
}

fn matvec(l: u32, d: &[f64], x: &[f64]) -> Vec<f64> {
    let n = 2 * l as usize + 1;
    (0..n)
        .map(|i| (0..n).map(|j| d[i * n + j] * x[j]).sum())
        .collect()
}

// ---------------------------------------------------------------- CG

#[test]
fn cg_norm_one_and_zero_outside_selection_rule() {
    for l1 in 0..=L {
        for l2 in 0..=L {
            for l3 in 0..=L + 2 {
                let c = clebsch_gordan(l1, l2, l3);
                assert_eq!(
                    c.len(),
                    ((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) as usize
                );
                let n: f64 = c.iter().map(|x| x * x).sum();
                if l1.abs_diff(l2) <= l3 && l3 <= l1 + l2 {
                    assert!((n - 1.0).abs() < 1e-14, "({l1},{l2},{l3}) norm² {n}");
                } else {
                    assert_eq!(n, 0.0);
                    assert!(clebsch_gordan_sparse(l1, l2, l3).is_empty());
                }
            }
        }
    }
}

#[test]
fn cg_sparse_matches_dense() {
    for (l1, l2, l3) in [(1, 1, 2), (3, 2, 4), (8, 8, 8), (5, 7, 2)] {
        let t = clebsch_gordan_table(l1, l2, l3);
        let (_, d2, d3) = t.shape;
        let mut dense = vec![0.0; t.dense.len()];
        for &(i, j, k, v) in clebsch_gordan_sparse(l1, l2, l3) {
            assert_ne!(v, 0.0);
            dense[(i as usize * d2 + j as usize) * d3 + k as usize] = v;
        }
        assert_eq!(dense, t.dense);
    }
}

/// `Σ_ij D1[i,a] D2[j,b] C[i,j,k] = Σ_c D3[k,c] C[a,b,c]` as full tensors.
#[test]
fn cg_equivariance_tensor_identity() {
    let mut rng = Rng::new(1);
    let r = random_rotation(&mut rng);
    let ds = wigner_d_up_to(L, &r);
    for l1 in 0..=4u32 {
        for l2 in 0..=4u32 {
            for l3 in l1.abs_diff(l2)..=l1 + l2 {
                let c = clebsch_gordan(l1, l2, l3);
                let (n1, n2, n3) = (
                    2 * l1 as usize + 1,
                    2 * l2 as usize + 1,
                    2 * l3 as usize + 1,
                );
                let (d1, d2, d3) = (&ds[l1 as usize], &ds[l2 as usize], &ds[l3 as usize]);
                let idx = |i: usize, j: usize, k: usize| (i * n2 + j) * n3 + k;
                let mut worst: f64 = 0.0;
                for a in 0..n1 {
                    for b in 0..n2 {
                        for k in 0..n3 {
                            let mut lhs = 0.0;
                            for i in 0..n1 {
                                for j in 0..n2 {
                                    lhs += d1[i * n1 + a] * d2[j * n2 + b] * c[idx(i, j, k)];
                                }
                            }
                            let rhs: f64 =
                                (0..n3).map(|cc| d3[k * n3 + cc] * c[idx(a, b, cc)]).sum();
                            worst = worst.max((lhs - rhs).abs());
                        }
                    }
                }
                assert!(worst < 1e-12, "({l1},{l2},{l3}): {worst}");
            }
        }
    }
}

/// `z(D1 x, D2 y) = D3 z(x, y)` for every allowed triple up to 8, proper and
/// improper (the coupling of parities p1, p2 gives p1·p2).
#[test]
fn cg_equivariance_all_triples_up_to_8() {
    let mut rng = Rng::new(2);
    for handed in [Handedness::Proper, Handedness::Improper] {
        let r = random_orthogonal(&mut rng, handed);
        let (p1, p2) = (-1, 1);
        for l1 in 0..=L {
            for l2 in 0..=L {
                let x = rng.normals(2 * l1 as usize + 1);
                let y = rng.normals(2 * l2 as usize + 1);
                let d1 = wigner_d(l1, p1, &r);
                let d2 = wigner_d(l2, p2, &r);
                let (rx, ry) = (matvec(l1, &d1, &x), matvec(l2, &d2, &y));
                for l3 in l1.abs_diff(l2)..=(l1 + l2).min(L) {
                    let t = clebsch_gordan_table(l1, l2, l3);
                    let lhs = t.couple(&rx, &ry);
                    let rhs = matvec(l3, &wigner_d(l3, p1 * p2, &r), &t.couple(&x, &y));
                    let err = max_abs(&lhs, &rhs);
                    assert!(err < 1e-12, "({l1},{l2},{l3}) {handed:?}: {err}");
                }
            }
        }
    }
}

#[test]
fn cg_equivariance_beyond_8() {
    let mut rng = Rng::new(3);
    let r = random_rotation(&mut rng);
    for (l1, l2, l3) in [(10, 10, 10), (12, 5, 9), (9, 9, 18), (11, 10, 1)] {
        let t = clebsch_gordan_table(l1, l2, l3);
        let n: f64 = t.dense.iter().map(|v| v * v).sum();
        assert!((n - 1.0).abs() < 1e-14);
        let x = rng.normals(2 * l1 as usize + 1);
        let y = rng.normals(2 * l2 as usize + 1);
        let lhs = t.couple(
            &matvec(l1, &wigner_d(l1, 1, &r), &x),
            &matvec(l2, &wigner_d(l2, 1, &r), &y),
        );
        let rhs = matvec(l3, &wigner_d(l3, 1, &r), &t.couple(&x, &y));
        let err = max_abs(&lhs, &rhs);
        assert!(err < 1e-11, "({l1},{l2},{l3}): {err}");
    }
}

#[test]
fn cg_swap_symmetry() {
    for l1 in 0..=L {
        for l2 in 0..=L {
            for l3 in l1.abs_diff(l2)..=l1 + l2 {
                let a = clebsch_gordan(l1, l2, l3);
                let b = clebsch_gordan(l2, l1, l3);
                let (n1, n2, n3) = (
                    2 * l1 as usize + 1,
                    2 * l2 as usize + 1,
                    2 * l3 as usize + 1,
                );
                let s = if (l1 + l2 + l3) % 2 == 0 { 1.0 } else { -1.0 };
                for i in 0..n1 {
                    for j in 0..n2 {
                        for k in 0..n3 {
                            let x = a[(i * n2 + j) * n3 + k];
                            let y = b[(j * n1 + i) * n3 + k];
                            assert!((y - s * x).abs() < 1e-15, "({l1},{l2},{l3})");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn cg_anchors_from_refs_readme() {
    let s3 = 3f64.sqrt();
    let c = clebsch_gordan(1, 1, 0);
    for i in 0..3 {
        for j in 0..3 {
            let want = if i == j { 1.0 / s3 } else { 0.0 };
            assert!((c[i * 3 + j] - want).abs() < 1e-15);
        }
    }
    // C(1,1,1) = ε/√6
    let c = clebsch_gordan(1, 1, 1);
    let eps = |i: usize, j: usize, k: usize| -> f64 {
        match (i, j, k) {
            (0, 1, 2) | (1, 2, 0) | (2, 0, 1) => 1.0,
            (0, 2, 1) | (2, 1, 0) | (1, 0, 2) => -1.0,
            _ => 0.0,
        }
    };
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..3 {
                assert!((c[(i * 3 + j) * 3 + k] - eps(i, j, k) / 6f64.sqrt()).abs() < 1e-15);
            }
        }
    }
    // C(0,l,l) = C(l,0,l) = I/√(2l+1)
    for l in 0..=L {
        let n = 2 * l as usize + 1;
        let a = clebsch_gordan(0, l, l);
        let b = clebsch_gordan(l, 0, l);
        for i in 0..n {
            for k in 0..n {
                let want = if i == k { 1.0 / (n as f64).sqrt() } else { 0.0 };
                assert!((a[i * n + k] - want).abs() < 1e-15);
                assert!((b[i * n + k] - want).abs() < 1e-15);
            }
        }
    }
    // √30 · C(1,1,2)[:,:,k]
    let c = clebsch_gordan(1, 1, 2);
    let mut want = [[[0.0f64; 5]; 3]; 3];
    want[0][2][0] = s3;
    want[2][0][0] = s3;
    want[0][1][1] = s3;
    want[1][0][1] = s3;
    want[0][0][2] = -1.0;
    want[1][1][2] = 2.0;
    want[2][2][2] = -1.0;
    want[1][2][3] = s3;
    want[2][1][3] = s3;
    want[0][0][4] = -s3;
    want[2][2][4] = s3;
    for i in 0..3 {
        for j in 0..3 {
            for k in 0..5 {
                let got = 30f64.sqrt() * c[(i * 3 + j) * 5 + k];
                assert!((got - want[i][j][k]).abs() < 1e-14, "[{i},{j},{k}] {got}");
            }
        }
    }
}

// ---------------------------------------------------------------- SH

fn random_unit(rng: &mut Rng) -> [f64; 3] {
    let v = [rng.normal(), rng.normal(), rng.normal()];
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / n, v[1] / n, v[2] / n]
}

fn rotate(r: &Matrix3<f64>, v: [f64; 3]) -> [f64; 3] {
    let w = r * Vector3::from(v);
    [w[0], w[1], w[2]]
}

#[test]
fn sh_equivariance_proper_and_improper_up_to_8() {
    let mut rng = Rng::new(4);
    for trial in 0..6 {
        let handed = if trial % 2 == 0 {
            Handedness::Proper
        } else {
            Handedness::Improper
        };
        let r = random_orthogonal(&mut rng, handed);
        let v = [rng.normal(), rng.normal(), rng.normal()];
        for normalize in [true, false] {
            for l in 0..=L {
                let p = if l % 2 == 0 { 1 } else { -1 };
                let lhs =
                    spherical_harmonics(l, rotate(&r, v), normalize, Normalization::Component);
                let y = spherical_harmonics(l, v, normalize, Normalization::Component);
                let rhs = matvec(l, &wigner_d(l, p, &r), &y);
                let scale = y.iter().fold(1.0f64, |m, x| m.max(x.abs()));
                let err = max_abs(&lhs, &rhs) / scale;
                assert!(err < 1e-12, "l={l} {handed:?} normalize={normalize}: {err}");
            }
        }
    }
}

#[test]
fn sh_equivariance_high_l() {
    let mut rng = Rng::new(5);
    let r = random_rotation(&mut rng);
    let v = random_unit(&mut rng);
    for l in [12, 16, 20] {
        let lhs = spherical_harmonics(l, rotate(&r, v), true, Normalization::Component);
        let rhs = matvec(
            l,
            &wigner_d(l, 1, &r),
            &spherical_harmonics(l, v, true, Normalization::Component),
        );
        let err = max_abs(&lhs, &rhs);
        assert!(err < 1e-10, "l={l}: {err}");
    }
}

#[test]
fn sh_normalizations() {
    let mut rng = Rng::new(6);
    for _ in 0..20 {
        let v = [rng.normal(), rng.normal(), rng.normal()];
        for l in 0..=L {
            let c = spherical_harmonics(l, v, true, Normalization::Component);
            let n = spherical_harmonics(l, v, true, Normalization::Norm);
            let i = spherical_harmonics(l, v, true, Normalization::Integral);
            let c2: f64 = c.iter().map(|x| x * x).sum();
            let n2: f64 = n.iter().map(|x| x * x).sum();
            let i2: f64 = i.iter().map(|x| x * x).sum();
            let d = (2 * l + 1) as f64;
            assert!((c2 - d).abs() < 1e-12 * d, "l={l}: {c2}");
            assert!((n2 - 1.0).abs() < 1e-12);
            assert!((i2 - d / (4.0 * PI)).abs() < 1e-12);
        }
    }
    // Y^0 and Y^1 in component normalisation
    let y = spherical_harmonics_up_to(1, [0.0, 3.0, 4.0], true, Normalization::Component);
    let s3 = 3f64.sqrt();
    assert!(max_abs(&y, &[1.0, 0.0, 0.6 * s3, 0.8 * s3]) < 1e-15);
    assert_eq!(Normalization::default(), Normalization::Component);
}

/// Monte-Carlo check of the 'integral' normalisation: ∫ Y_m Y_m' dΩ = δ.
#[test]
fn sh_integral_orthonormality_monte_carlo() {
    let mut rng = Rng::new(7);
    let lmax = 3;
    let n = (lmax + 1) * (lmax + 1);
    let samples = 40_000;
    let mut gram = vec![0.0; (n * n) as usize];
    for _ in 0..samples {
        let y =
            spherical_harmonics_up_to(lmax, random_unit(&mut rng), true, Normalization::Integral);
        for a in 0..n as usize {
            for b in 0..n as usize {
                gram[a * n as usize + b] += y[a] * y[b];
            }
        }
    }
    for a in 0..n as usize {
        for b in 0..n as usize {
            let g = gram[a * n as usize + b] * 4.0 * PI / samples as f64;
            let want = if a == b { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 0.05, "({a},{b}): {g}");
        }
    }
}

#[test]
fn sh_zero_vector_is_finite_with_zero_derivative() {
    for norm in [
        Normalization::Component,
        Normalization::Norm,
        Normalization::Integral,
    ] {
        let y = spherical_harmonics_up_to(L, [0.0; 3], true, norm);
        assert_eq!(y[0], norm.factor(0));
        assert!(y[1..].iter().all(|&x| x == 0.0));
        for axis in 0..3 {
            let mut v = [Dual::<f64>::constant(0.0); 3];
            v[axis] = Dual::variable(0.0);
            let y = spherical_harmonics_up_to(L, v, true, norm);
            assert!(y.iter().all(|d| d.re.is_finite() && d.eps == 0.0));
        }
    }
    // Unnormalised: the solid harmonics vanish at 0 for l > 0.
    let y = spherical_harmonics_up_to(L, [0.0; 3], false, Normalization::Component);
    assert_eq!(y[0], 1.0);
    assert!(y[1..].iter().all(|&x| x == 0.0));
}

#[test]
fn sh_derivatives_match_finite_differences() {
    let mut rng = Rng::new(8);
    let h = 1e-6;
    for _ in 0..5 {
        let v = [rng.normal(), rng.normal(), rng.normal()];
        for normalize in [true, false] {
            for axis in 0..3 {
                let dv: [Dual<f64>; 3] = std::array::from_fn(|k| {
                    if k == axis {
                        Dual::variable(v[k])
                    } else {
                        Dual::constant(v[k])
                    }
                });
                let d = spherical_harmonics_up_to(L, dv, normalize, Normalization::Component);
                let mut vp = v;
                let mut vm = v;
                vp[axis] += h;
                vm[axis] -= h;
                let yp = spherical_harmonics_up_to(L, vp, normalize, Normalization::Component);
                let ym = spherical_harmonics_up_to(L, vm, normalize, Normalization::Component);
                for k in 0..d.len() {
                    let fd = (yp[k] - ym[k]) / (2.0 * h);
                    let scale = 1.0 + fd.abs();
                    assert!(
                        (d[k].eps - fd).abs() < 1e-6 * scale,
                        "comp {k} axis {axis} normalize={normalize}: {} vs {fd}",
                        d[k].eps
                    );
                    assert_eq!(
                        d[k].re,
                        spherical_harmonics_up_to(L, v, normalize, Normalization::Component)[k]
                    );
                }
            }
        }
    }
}

#[test]
fn sh_unnormalized_is_homogeneous_and_f32_agrees() {
    let v = [0.3, -1.2, 0.7];
    let s = 1.7f64;
    let y = spherical_harmonics_up_to(L, v, false, Normalization::Component);
    let ys = spherical_harmonics_up_to(
        L,
        [s * v[0], s * v[1], s * v[2]],
        false,
        Normalization::Component,
    );
    for l in 0..=L {
        for k in (l * l) as usize..((l + 1) * (l + 1)) as usize {
            let want = y[k] * s.powi(l as i32);
            assert!((ys[k] - want).abs() < 1e-12 * (1.0 + want.abs()));
        }
    }
    let y32 = spherical_harmonics_up_to(L, [0.3f32, -1.2, 0.7], true, Normalization::Component);
    let y64 = spherical_harmonics_up_to(L, v, true, Normalization::Component);
    assert!(y32
        .iter()
        .zip(&y64)
        .all(|(a, b)| (*a as f64 - b).abs() < 1e-4));
}

// ---------------------------------------------------------------- Wigner D

#[test]
fn wigner_d_is_orthogonal_homomorphism_and_d1_is_r() {
    let mut rng = Rng::new(9);
    for _ in 0..4 {
        let r1 = random_rotation(&mut rng);
        let r2 = random_rotation(&mut rng);
        let d1 = wigner_d_up_to(L, &r1);
        let d2 = wigner_d_up_to(L, &r2);
        let d12 = wigner_d_up_to(L, &(r1 * r2));
        assert!(
            max_abs(&d1[1], r1.transpose().as_slice()) < 1e-15,
            "D^1 = R (row-major)"
        );
        for l in 0..=L as usize {
            let a = dmat(l as u32, &d1[l]);
            let n = 2 * l + 1;
            let ata = a.transpose() * &a;
            assert!(
                (ata - DMatrix::identity(n, n)).amax() < 1e-13,
                "orthogonal l={l}"
            );
            let prod = &a * dmat(l as u32, &d2[l]);
            assert!(
                (prod - dmat(l as u32, &d12[l])).amax() < 1e-13,
                "homomorphism l={l}"
            );
            let det = a.determinant();
            assert!((det - 1.0).abs() < 1e-10, "det {det}");
        }
    }
}

#[test]
fn wigner_d_improper() {
    let mut rng = Rng::new(10);
    let r = random_rotation(&mut rng);
    for l in 0..=L {
        for p in [1, -1] {
            let d = wigner_d(l, p, &r);
            let dm = wigner_d(l, p, &(-r));
            let want: Vec<f64> = d.iter().map(|x| p as f64 * x).collect();
            assert_eq!(dm, want);
        }
    }
    // A reflection (det -1, not -R of an obvious R): D(M) = p · D(-M).
    let m = Matrix3::new(1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0);
    let d = wigner_d(1, -1, &m);
    assert!(
        max_abs(&d, m.transpose().as_slice()) < 1e-15,
        "1o: D(M) = M"
    );
    let d = wigner_d(1, 1, &m);
    assert!(
        max_abs(&d, (-m).transpose().as_slice()) < 1e-15,
        "1e: D(M) = -M"
    );
    let inv = wigner_d_matrix(3, -1, &(-Matrix3::identity()));
    assert!((inv + DMatrix::identity(7, 7)).amax() < 1e-14);
}

/// At and near the Y-X-Y gimbal lock the D matrices are as accurate as
/// anywhere: compare with the product of the three factor rotations.
#[test]
fn wigner_d_at_gimbal_lock() {
    for (a, b, g) in [
        (0.3, PI - 1e-9, 1.1),
        (0.3, PI, 1.1),
        (0.5, 0.0, 0.2),
        (-2.0, 1e-9, 0.7),
        (1.0, PI, -1.0),
    ] {
        let r = angles_to_matrix(a, b, g);
        for l in 0..=L {
            let want = dmat(l, &wigner_d(l, 1, &matrix_y(a)))
                * dmat(l, &wigner_d(l, 1, &matrix_x(b)))
                * dmat(l, &wigner_d(l, 1, &matrix_y(g)));
            let got = dmat(l, &wigner_d(l, 1, &r));
            assert!((got - want).amax() < 1e-13, "l={l} β={b}");
            assert_eq!(wigner_d_from_angles(l, a, b, g), wigner_d(l, 1, &r));
        }
        // Also via the angles e3nn would recover from R.
        let (a2, b2, g2) = matrix_to_angles(&r);
        let r2 = angles_to_matrix(a2, b2, g2);
        assert!((r2 - r).amax() < 1e-8, "β={b}");
    }
}

/// D_y(t) has the closed form of a rotation about the polar axis: the
/// (m, -m) pairs rotate by the angle m·t.
#[test]
fn wigner_d_about_polar_axis_is_planar_rotations() {
    let t = 0.37;
    for l in 0..=L {
        let d = wigner_d(l, 1, &matrix_y(t));
        let n = 2 * l as usize + 1;
        let c = l as usize;
        assert!((d[c * n + c] - 1.0).abs() < 1e-14);
        for m in 1..=l as usize {
            let (s, co) = ((m as f64) * t).sin_cos();
            assert!((d[(c + m) * n + c + m] - co).abs() < 1e-13);
            assert!((d[(c - m) * n + c - m] - co).abs() < 1e-13);
            assert!((d[(c + m) * n + c - m].abs() - s.abs()).abs() < 1e-13);
        }
    }
}

// ---------------------------------------------------------------- rotations

#[test]
fn random_rotations_are_uniform_rotations() {
    let mut rng = Rng::new(11);
    let n = 20_000;
    let mut mean1 = Matrix3::zeros();
    let mut mean2 = [0.0; 25];
    for _ in 0..n {
        let r = random_rotation(&mut rng);
        assert!((r.transpose() * r - Matrix3::identity()).amax() < 1e-14);
        assert!((r.determinant() - 1.0).abs() < 1e-14);
        mean1 += r;
        for (m, d) in mean2.iter_mut().zip(wigner_d(2, 1, &r)) {
            *m += d;
        }
    }
    // Haar measure: E[D^l(R)] = 0 for l ≥ 1 (Schur orthogonality).
    assert!((mean1 / n as f64).amax() < 0.02, "{}", mean1 / n as f64);
    assert!(mean2.iter().all(|m| (m / n as f64).abs() < 0.02));
    // E[tr R] = 0 and E[(tr R)^2] = 1 (tr R = χ^1, ∫|χ|² = 1).
    let mut rng = Rng::new(12);
    let tr2: f64 = (0..n)
        .map(|_| random_rotation(&mut rng).trace().powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((tr2 - 1.0).abs() < 0.05, "{tr2}");
    // Random Euler angles are Haar too.
    let mut rng = Rng::new(13);
    let mut m = Matrix3::zeros();
    for _ in 0..n {
        let (a, b, g) = random_angles(&mut rng);
        m += angles_to_matrix(a, b, g);
    }
    assert!((m / n as f64).amax() < 0.02);
}

#[test]
fn random_orthogonal_handedness() {
    let mut rng = Rng::new(14);
    for _ in 0..50 {
        assert!(
            (random_orthogonal(&mut rng, Handedness::Improper).determinant() + 1.0).abs() < 1e-13
        );
        assert!(
            (random_orthogonal(&mut rng, Handedness::Proper).determinant() - 1.0).abs() < 1e-13
        );
    }
    let improper = (0..2000)
        .filter(|_| random_orthogonal(&mut rng, Handedness::Random).determinant() < 0.0)
        .count();
    assert!((800..1200).contains(&improper), "{improper}");
}

#[test]
fn angles_roundtrip() {
    let mut rng = Rng::new(15);
    for _ in 0..200 {
        let r = random_rotation(&mut rng);
        let (a, b, g) = matrix_to_angles(&r);
        assert!((0.0..=PI).contains(&b));
        assert!((angles_to_matrix(a, b, g) - r).amax() < 1e-12);
    }
    // The named factors
    let r = angles_to_matrix(0.0, 0.0, 0.0);
    assert_eq!(r, Matrix3::identity());
}

#[test]
fn axis_angle_and_quaternion_roundtrip() {
    let mut rng = Rng::new(16);
    for k in 0..200 {
        let axis = random_unit(&mut rng);
        let angle = match k % 4 {
            0 => PI,
            1 => PI - 1e-10,
            2 => 1e-9,
            _ => rng.uniform_in(0.0, PI),
        };
        let r = axis_angle_to_matrix(axis, angle);
        assert!((r.determinant() - 1.0).abs() < 1e-13);
        let (ax2, an2) = matrix_to_axis_angle(&r);
        assert!(
            (axis_angle_to_matrix(ax2, an2) - r).amax() < 1e-12,
            "angle {angle}"
        );
        assert!((an2 - angle).abs() < 1e-7, "{an2} vs {angle}");
        let q = matrix_to_quaternion(&r);
        assert!((quaternion_to_matrix(q) - r).amax() < 1e-13);
    }
    // Right-handed: a quarter turn about z takes x to y.
    let r = axis_angle_to_matrix([0.0, 0.0, 1.0], PI / 2.0);
    assert!((r * Vector3::x() - Vector3::y()).amax() < 1e-15);
    // and agrees with matrix_y about y
    assert!((axis_angle_to_matrix([0.0, 2.0, 0.0], 0.3) - matrix_y(0.3)).amax() < 1e-15);
}

// ---------------------------------------------------------------- proptest

fn rotation_from(q: [f64; 4]) -> Matrix3<f64> {
    quaternion_to_matrix(q)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn prop_sh_equivariance(
        v in prop::array::uniform3(-10.0f64..10.0),
        q in prop::array::uniform4(-1.0f64..1.0),
        improper in any::<bool>(),
        l in 0u32..=8,
    ) {
        prop_assume!(v.iter().map(|x| x * x).sum::<f64>() > 1e-6);
        prop_assume!(q.iter().map(|x| x * x).sum::<f64>() > 1e-3);
        let mut r = rotation_from(q);
        if improper { r = -r; }
        let p = if l % 2 == 0 { 1 } else { -1 };
        let lhs = spherical_harmonics(l, rotate(&r, v), true, Normalization::Component);
        let rhs = matvec(l, &wigner_d(l, p, &r), &spherical_harmonics(l, v, true, Normalization::Component));
        prop_assert!(max_abs(&lhs, &rhs) < 1e-11);
    }

    #[test]
    fn prop_wigner_homomorphism(
        q1 in prop::array::uniform4(-1.0f64..1.0),
        q2 in prop::array::uniform4(-1.0f64..1.0),
        l in 0u32..=8,
    ) {
        prop_assume!(q1.iter().map(|x| x * x).sum::<f64>() > 1e-3);
        prop_assume!(q2.iter().map(|x| x * x).sum::<f64>() > 1e-3);
        let (r1, r2) = (rotation_from(q1), rotation_from(q2));
        let lhs = dmat(l, &wigner_d(l, 1, &(r1 * r2)));
        let rhs = dmat(l, &wigner_d(l, 1, &r1)) * dmat(l, &wigner_d(l, 1, &r2));
        prop_assert!((lhs - rhs).amax() < 1e-12);
    }
}
