//! Tensor products: equivariance (proper and improper rotations, f64, many
//! irrep triples up to L = 8), vector-Jacobian products and weight gradients
//! against finite differences, a Hessian-vector product through the tape run
//! on dual numbers, the e3nn normalisation (unit second moment), and the full
//! unweighted product against e3nn-jax.

use eqv_core::check::{relative_error, test_transforms, vjp_error};
use eqv_core::dual::Dual;
use eqv_core::prelude::*;
use eqv_core::rules::InProduct;
use eqv_core::tape::NodeId;

const TOL: f64 = 1e-10;
const VJP_TOL: f64 = 1e-7;

fn random(seed: u64, n: usize) -> Vec<f64> {
    Rng::new(seed).normals(n)
}

/// Worst relative equivariance error of `f(a, b)`, `A ⊗ B → C`, over the
/// test transforms. `w` (invariant weights) is passed through unrotated.
fn equivariance_error<A: Irrep, B: Irrep, C: Irrep>(
    a: &[f64],
    b: &[f64],
    f: impl Fn(&Tape<f64>, Vec<f64>, Vec<f64>) -> Vec<f64>,
) -> f64 {
    let y = f(&Tape::new(), a.to_vec(), b.to_vec());
    assert!(
        y.iter().any(|v| v.abs() > 1e-3),
        "{} ⊗ {} -> {}: output vanishes",
        A::NAME,
        B::NAME,
        C::NAME
    );
    eqv_core::check::equivariance_error2::<A, B, C>(a, b, &test_transforms(17, 3), |a, b| {
        f(&Tape::new(), a, b)
    })
}

/// Element-wise product: equal channels and both broadcasts; equivariance
/// and VJP. Returns the worst errors.
fn elementwise_case<A: Irrep, B: Irrep, C>(check_vjp: bool) -> (f64, f64)
where
    C: InProduct<A, B>,
{
    let rows = 2;
    let mut eq = 0.0_f64;
    let mut vj = 0.0_f64;
    for (ma, mb) in [(3, 3), (3, 1), (1, 2)] {
        let a = random(A::DIM as u64 * 7 + ma as u64, rows * ma * A::DIM);
        let b = random(B::DIM as u64 * 13 + mb as u64, rows * mb * B::DIM);
        let e = equivariance_error::<A, B, C>(&a, &b, |t, a, b| {
            tensor_product::<A, B, C, f64>(
                eqv_core::non_equivariant::input(t, rows, ma, a),
                eqv_core::non_equivariant::input(t, rows, mb, b),
            )
            .to_f64()
        });
        eq = eq.max(e);
        if check_vjp {
            let v = vjp_error(&[a, b], 3, |t, ids| {
                tensor_product::<A, B, C, f64>(
                    eqv_core::authoring::wrap(t, ids[0], rows, ma),
                    eqv_core::authoring::wrap(t, ids[1], rows, mb),
                )
                .id()
            });
            vj = vj.max(v);
        }
    }
    assert!(
        eq < TOL,
        "{} ⊗ {} -> {}: equivariance error {eq:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    assert!(
        vj < VJP_TOL,
        "{} ⊗ {} -> {}: vjp error {vj:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    (eq, vj)
}

macro_rules! cases {
    ($f:ident, $vjp:expr; $(($a:ty, $b:ty, $c:ty)),* $(,)?) => {{
        let mut worst = (0.0_f64, 0.0_f64);
        $(
            let (e, v) = $f::<$a, $b, $c>($vjp);
            worst = (worst.0.max(e), worst.1.max(v));
        )*
        worst
    }};
}

#[test]
fn elementwise_products_are_equivariant_with_exact_vjps() {
    let worst = cases!(elementwise_case, true;
        (Scalar, Scalar, Scalar),
        (Scalar, Pseudoscalar, Pseudoscalar),
        (Pseudoscalar, Pseudoscalar, Scalar),
        (Scalar, Vector, Vector),
        (Vector, Scalar, Vector),
        (Pseudoscalar, Vector, Pseudovector),
        (Vector, Vector, Scalar),
        (Vector, Vector, Pseudovector),
        (Vector, Vector, Tensor2e),
        (Vector, Pseudovector, Vector),
        (Vector, Pseudovector, Pseudoscalar),
        (Vector, Pseudovector, Tensor2o),
        (Pseudovector, Pseudovector, Tensor2e),
        (Vector, Tensor2e, Vector),
        (Vector, Tensor2e, Tensor2o),
        (Vector, Tensor2e, Tensor3o),
        (Tensor2e, Vector, Tensor3o),
        (Tensor2e, Tensor2e, Scalar),
        (Tensor2e, Tensor2e, Pseudovector),
        (Tensor2e, Tensor2e, Tensor2e),
        (Tensor2e, Tensor2e, Tensor3e),
        (Tensor2e, Tensor2e, Tensor4e),
        (Tensor2o, Tensor2e, Tensor4o),
        (Tensor2o, Vector, Tensor3e),
        (Tensor3o, Vector, Tensor2e),
        (Tensor3o, Tensor2e, Tensor5o),
        (Tensor3o, Tensor3o, Scalar),
        (Tensor3e, Tensor3o, Tensor4o),
        (Tensor3o, Tensor4e, Vector),
        (Tensor4e, Tensor4e, Tensor4e),
        (Tensor4o, Tensor4e, Tensor3o),
        (Tensor4e, Vector, Tensor4o),
    );
    eprintln!(
        "L <= 4: worst equivariance error {:e}, worst vjp error {:e}",
        worst.0, worst.1
    );
}

#[test]
fn elementwise_products_up_to_l8_are_equivariant() {
    let worst = cases!(elementwise_case, false;
        (Tensor8e, Tensor8e, Scalar),
        (Tensor4e, Tensor4o, Tensor8o),
        (Tensor5o, Tensor3o, Tensor8e),
        (Tensor8o, Vector, Tensor7e),
        (Tensor6e, Tensor7o, Tensor5o),
        (Tensor7e, Tensor2o, Tensor6o),
    );
    eprintln!("L <= 8: worst equivariance error {:e}", worst.0);
    let vj = cases!(elementwise_case, true; (Tensor5o, Tensor3o, Tensor8e));
    eprintln!("L = 8 path: vjp error {:e}", vj.1);
}

/// Channel-wise product with per-row invariant weights, mul_b = 1 and 2.
fn channelwise_case<A: Irrep, B: Irrep, C>(check_vjp: bool) -> (f64, f64)
where
    C: InProduct<A, B>,
{
    let (rows, mul) = (3, 2);
    let mut eq = 0.0_f64;
    let mut vj = 0.0_f64;
    for mb in [1, 2] {
        let a = random(1 + mb as u64, rows * mul * A::DIM);
        let b = random(2 + mb as u64, rows * mb * B::DIM);
        let w = random(3 + mb as u64, rows * mul * mb);
        let pw = 1.0 / (mb as f64).sqrt();
        eq = eq.max(equivariance_error::<A, B, C>(&a, &b, |t, a, b| {
            channelwise_tensor_product::<A, B, C, f64>(
                eqv_core::non_equivariant::input(t, rows, mul, a),
                eqv_core::non_equivariant::input(t, rows, mb, b),
                eqv_core::non_equivariant::input(t, rows, mul * mb, w.clone()),
                pw,
            )
            .to_f64()
        }));
        if check_vjp {
            vj = vj.max(vjp_error(&[a, b, w.clone()], 5, |t, ids| {
                channelwise_tensor_product::<A, B, C, f64>(
                    eqv_core::authoring::wrap(t, ids[0], rows, mul),
                    eqv_core::authoring::wrap(t, ids[1], rows, mb),
                    eqv_core::authoring::wrap(t, ids[2], rows, mul * mb),
                    pw,
                )
                .id()
            }));
        }
    }
    assert!(
        eq < TOL,
        "uvu {} ⊗ {} -> {}: equivariance error {eq:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    assert!(
        vj < VJP_TOL,
        "uvu {} ⊗ {} -> {}: vjp error {vj:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    (eq, vj)
}

#[test]
fn channelwise_products_are_equivariant_with_exact_vjps() {
    let worst = cases!(channelwise_case, true;
        (Scalar, Vector, Vector),
        (Vector, Vector, Scalar),
        (Vector, Vector, Pseudovector),
        (Vector, Tensor2e, Tensor3o),
        (Pseudovector, Tensor2e, Tensor2e),
        (Tensor2e, Tensor3o, Vector),
        (Tensor3o, Tensor3o, Tensor4e),
        (Tensor4o, Tensor4e, Pseudoscalar),
    );
    let hi = cases!(channelwise_case, false; (Tensor8e, Tensor4e, Tensor6e), (Tensor7o, Vector, Tensor8e));
    eprintln!(
        "uvu: worst equivariance error {:e} (L <= 8: {:e}), worst vjp error {:e}",
        worst.0, hi.0, worst.1
    );
}

/// Fully connected layer: equivariance and VJP to both inputs.
fn fully_connected_case<A: Irrep, B: Irrep, C>(check_vjp: bool) -> (f64, f64)
where
    C: InProduct<A, B>,
{
    let (rows, ma, mb, mc) = (2, 3, 2, 2);
    let tp = FullyConnectedTp::<A, B, C>::new(ma, mb, mc, &mut Rng::new(A::DIM as u64));
    let a = random(4, rows * ma * A::DIM);
    let b = random(5, rows * mb * B::DIM);
    let eq = equivariance_error::<A, B, C>(&a, &b, |t, a, b| {
        tp.forward(
            eqv_core::non_equivariant::input(t, rows, ma, a),
            eqv_core::non_equivariant::input(t, rows, mb, b),
        )
        .to_f64()
    });
    let vj = if check_vjp {
        vjp_error(&[a, b], 9, |t, ids| {
            tp.forward(
                eqv_core::authoring::wrap(t, ids[0], rows, ma),
                eqv_core::authoring::wrap(t, ids[1], rows, mb),
            )
            .id()
        })
    } else {
        0.0
    };
    assert!(
        eq < TOL,
        "uvw {} ⊗ {} -> {}: equivariance error {eq:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    assert!(
        vj < VJP_TOL,
        "uvw {} ⊗ {} -> {}: vjp error {vj:e}",
        A::NAME,
        B::NAME,
        C::NAME
    );
    (eq, vj)
}

#[test]
fn fully_connected_products_are_equivariant_with_exact_vjps() {
    let worst = cases!(fully_connected_case, true;
        (Scalar, Scalar, Scalar),
        (Vector, Vector, Scalar),
        (Vector, Vector, Tensor2e),
        (Vector, Pseudovector, Vector),
        (Tensor2e, Vector, Tensor3o),
        (Tensor2o, Tensor2e, Vector),
        (Tensor3e, Tensor4o, Tensor2o),
        (Tensor4e, Tensor4e, Tensor4e),
    );
    let hi = cases!(fully_connected_case, false; (Tensor8o, Tensor2e, Tensor7o));
    eprintln!(
        "uvw: worst equivariance error {:e} (L = 8: {:e}), worst vjp error {:e}",
        worst.0, hi.0, worst.1
    );
}

#[test]
fn fully_connected_weight_gradients_match_finite_differences() {
    let (rows, ma, mb, mc) = (3, 2, 3, 2);
    let tp = FullyConnectedTp::<Vector, Tensor2e, Tensor3o>::new(ma, mb, mc, &mut Rng::new(4));
    let a = random(1, rows * ma * 3);
    let b = random(2, rows * mb * 5);
    let cot = random(3, rows * mc * 7);
    let loss = |l: &FullyConnectedTp<Vector, Tensor2e, Tensor3o>| {
        let t = Tape::new();
        let y = l.forward(
            eqv_core::non_equivariant::input(&t, rows, ma, a.clone()),
            eqv_core::non_equivariant::input(&t, rows, mb, b.clone()),
        );
        y.to_f64().iter().zip(&cot).map(|(p, q)| p * q).sum::<f64>()
    };
    let t = Tape::new();
    let y = tp.forward(
        eqv_core::non_equivariant::input::<Vector, _>(&t, rows, ma, a.clone()),
        eqv_core::non_equivariant::input::<Tensor2e, _>(&t, rows, mb, b.clone()),
    );
    let grads = t.backward(y.id(), &cot);
    let gw = grads.get(t.param_id(&tp.weight).unwrap()).unwrap().to_vec();
    assert_eq!(gw.len(), ma * mb * mc);
    let fd: Vec<f64> = (0..gw.len())
        .map(|i| {
            let nudge = |h: f64| {
                let mut l = tp.clone();
                l.weight.data_mut()[i] += h;
                loss(&l)
            };
            (nudge(1e-6) - nudge(-1e-6)) / 2e-6
        })
        .collect();
    let err = relative_error(&gw, &fd);
    eprintln!("uvw weight gradient: relative error {err:e}");
    assert!(err < VJP_TOL, "weight gradient error {err:e}");
    // The layer walks its one parameter.
    let mut names = Vec::new();
    tp.visit("tp", &mut |n, p| names.push((n.to_string(), p.len())));
    assert_eq!(names, vec![("tp.weight".to_string(), ma * mb * mc)]);
    assert_eq!(tp.num_params(), ma * mb * mc);
}

/// `L(a) = Σ cot · uvu(FC(a ⊗ a → 2e, a → 2o), a → 1e)`: a quartic function
/// of `a` through the element-wise, fully connected and channel-wise kernels.
fn quartic<'t, T: Real>(
    tape: &'t Tape<T>,
    a: NodeId,
    tp: &FullyConnectedTp<Tensor2e, Vector, Tensor2o>,
    w: &[f64],
    rows: usize,
) -> Feat<'t, Pseudovector, T> {
    let a = eqv_core::authoring::wrap::<Vector, T>(tape, a, rows, 2);
    let aa = tensor_product::<_, _, Tensor2e, _>(a, a);
    let p = tp.forward(aa, a);
    let w = eqv_core::non_equivariant::input::<Scalar, T>(
        tape,
        rows,
        2,
        w.iter().map(|&x| T::from_f64(x)).collect(),
    );
    channelwise_tensor_product::<_, _, Pseudovector, _>(p, a.channels(0, 1), w, 1.0)
}

#[test]
fn hessian_vector_product_on_dual_numbers_matches_finite_differences() {
    let rows = 2;
    let tp = FullyConnectedTp::<Tensor2e, Vector, Tensor2o>::new(2, 2, 2, &mut Rng::new(8));
    let a0 = random(1, rows * 2 * 3);
    let dir = random(2, rows * 2 * 3);
    let w = random(3, rows * 2);
    let cot = random(4, rows * 2 * 3);
    // f64 gradient of L at a (and of the weights).
    let grad = |a: &[f64]| -> (Vec<f64>, Vec<f64>) {
        let t = Tape::<f64>::new();
        let id = t.variable(a.to_vec());
        let y = quartic(&t, id, &tp, &w, rows);
        let g = t.backward(y.id(), &cot);
        (
            g.get_or_zeros(id),
            g.get_or_zeros(t.param_id(&tp.weight).unwrap()),
        )
    };
    // Forward-over-reverse: the same backward pass on dual numbers, a seeded by dir.
    let t = Tape::<Dual<f64>>::new();
    let id = t.variable(
        a0.iter()
            .zip(&dir)
            .map(|(&x, &v)| Dual::new(x, v))
            .collect(),
    );
    let y = quartic(&t, id, &tp, &w, rows);
    let seed: Vec<Dual<f64>> = cot.iter().map(|&c| Dual::constant(c)).collect();
    let g = t.backward(y.id(), &seed);
    let ga = g.get_or_zeros(id);
    let gw = g.get_or_zeros(t.param_id(&tp.weight).unwrap());
    // The primal part is the f64 gradient.
    let (g0, gw0) = grad(&a0);
    assert!(relative_error(&ga.iter().map(|d| d.re).collect::<Vec<_>>(), &g0) < 1e-14);
    assert!(relative_error(&gw.iter().map(|d| d.re).collect::<Vec<_>>(), &gw0) < 1e-14);
    // The tangent is H·dir; compare with central differences of the gradient.
    let h = 1e-5;
    let shift = |s: f64| {
        a0.iter()
            .zip(&dir)
            .map(|(&x, &v)| x + s * v)
            .collect::<Vec<_>>()
    };
    let ((gp, gwp), (gm, gwm)) = (grad(&shift(h)), grad(&shift(-h)));
    let fd: Vec<f64> = gp
        .iter()
        .zip(&gm)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let fdw: Vec<f64> = gwp
        .iter()
        .zip(&gwm)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let err = relative_error(&ga.iter().map(|d| d.eps).collect::<Vec<_>>(), &fd);
    let errw = relative_error(&gw.iter().map(|d| d.eps).collect::<Vec<_>>(), &fdw);
    eprintln!("Hessian-vector product: input {err:e}, weights (mixed) {errw:e}");
    assert!(err < 1e-7 && errw < 1e-7, "HVP errors {err:e} {errw:e}");
}

fn second_moment(y: &[f64]) -> f64 {
    y.iter().map(|v| v * v).sum::<f64>() / y.len() as f64
}

#[test]
fn normalisation_gives_unit_second_moment() {
    let rows = 4000;
    fn elementwise<A: Irrep, B: Irrep, C>(rows: usize) -> f64
    where
        C: InProduct<A, B>,
    {
        let t = Tape::new();
        let a = eqv_core::non_equivariant::input::<A, _>(&t, rows, 1, random(1, rows * A::DIM));
        let b = eqv_core::non_equivariant::input::<B, _>(&t, rows, 1, random(2, rows * B::DIM));
        second_moment(&tensor_product::<A, B, C, f64>(a, b).to_f64())
    }
    let moments = [
        elementwise::<Vector, Vector, Scalar>(rows),
        elementwise::<Vector, Vector, Tensor2e>(rows),
        elementwise::<Tensor2e, Tensor3o, Tensor4o>(rows),
        elementwise::<Tensor4e, Tensor4e, Tensor8e>(rows / 4),
    ];
    // uvu, mul_b = 4, N(0, 1) weights, path weight from path_weights.
    let t = Tape::new();
    let (mul, mb) = (4, 4);
    let pw = path_weights(&[(PathKind::ChannelWise.fan_in(mul, mb), Tensor2o::IR)])[0];
    let a = eqv_core::non_equivariant::input::<Vector, _>(&t, rows, mul, random(3, rows * mul * 3));
    let b = eqv_core::non_equivariant::input::<Tensor2e, _>(&t, rows, mb, random(4, rows * mb * 5));
    let w = eqv_core::non_equivariant::input::<Scalar, _>(
        &t,
        rows,
        mul * mb,
        random(5, rows * mul * mb),
    );
    let uvu = second_moment(&channelwise_tensor_product::<_, _, Tensor2o, _>(a, b, w, pw).to_f64());
    // Two uvw paths summed into one output, weighted by path_weights.
    let mut rng = Rng::new(6);
    let (m0, m1, m2, mc) = (16, 8, 2, 16);
    let pws = path_weights(&[
        (PathKind::FullyConnected.fan_in(m0, m2), Vector::IR),
        (PathKind::FullyConnected.fan_in(m1, m2), Vector::IR),
    ]);
    let tp0 =
        FullyConnectedTp::<Scalar, Vector, Vector>::with_path_weight(m0, m2, mc, pws[0], &mut rng);
    let tp1 = FullyConnectedTp::<Tensor2e, Vector, Vector>::with_path_weight(
        m1, m2, mc, pws[1], &mut rng,
    );
    let r2 = rows / 4;
    let s = eqv_core::non_equivariant::input::<Scalar, _>(&t, r2, m0, random(7, r2 * m0));
    let d = eqv_core::non_equivariant::input::<Tensor2e, _>(&t, r2, m1, random(8, r2 * m1 * 5));
    let v = eqv_core::non_equivariant::input::<Vector, _>(&t, r2, m2, random(9, r2 * m2 * 3));
    let uvw = second_moment(&(tp0.forward(s, v) + tp1.forward(d, v)).to_f64());
    eprintln!("second moments: uuu {moments:?}, uvu {uvu}, uvw (2 paths) {uvw}");
    for m in moments {
        assert!((m - 1.0).abs() < 0.1, "uuu second moment {m}");
    }
    assert!((uvu - 1.0).abs() < 0.1, "uvu second moment {uvu}");
    // One draw of N(0, 1) weights: the mean over 16 x 16 x 2 + ... weights
    // is only accurate to a few percent.
    assert!((uvw - 1.0).abs() < 0.25, "uvw second moment {uvw}");
}

/// Outputs and every gradient of `fully_connected_sum` (paths into one op)
/// against the same paths as separate ops added with `+`: three paths
/// into `1o`, sharing the input `v`, one of them `v ⊗ v`, on row counts
/// that do and do not fill the kernel's row blocks.
#[test]
fn a_sum_of_fully_connected_paths_matches_the_paths_added() {
    let mut rng = Rng::new(11);
    let (ms, mv, md, mc) = (4, 3, 2, 5);
    let fan = |a, b| (PathKind::FullyConnected.fan_in(a, b), Vector::IR);
    let pw = path_weights(&[fan(ms, mv), fan(mv, mv), fan(md, mv)]);
    let p0 =
        FullyConnectedTp::<Scalar, Vector, Vector>::with_path_weight(ms, mv, mc, pw[0], &mut rng);
    let p1 = FullyConnectedTp::<Vector, Vector, Pseudovector>::with_path_weight(
        mv, mv, mc, pw[1], &mut rng,
    );
    let p2 =
        FullyConnectedTp::<Tensor2e, Vector, Vector>::with_path_weight(md, mv, mc, pw[2], &mut rng);
    let p3 = FullyConnectedTp::<Vector, Vector, Pseudovector>::with_path_weight(
        mv, mv, mc, pw[1], &mut rng,
    );
    for rows in [1, 7, 300] {
        let run = |fused: bool| {
            let t = Tape::<f64>::new();
            let s = eqv_core::non_equivariant::variable::<Scalar, _>(
                &t,
                rows,
                ms,
                random(1, rows * ms),
            );
            let v = eqv_core::non_equivariant::variable::<Vector, _>(
                &t,
                rows,
                mv,
                random(2, rows * mv * 3),
            );
            let d = eqv_core::non_equivariant::variable::<Tensor2e, _>(
                &t,
                rows,
                md,
                random(3, rows * md * 5),
            );
            let (y1, y2) = if fused {
                (
                    fully_connected_sum(&[p0.path(s, v), p2.path(d, v)]),
                    fully_connected_sum(&[p1.path(v, v), p3.path(v, v)]),
                )
            } else {
                (
                    p0.forward(s, v) + p2.forward(d, v),
                    p1.forward(v, v) + p3.forward(v, v),
                )
            };
            let seed1 = random(4, rows * mc * 3);
            let seed2 = random(5, rows * mc * 3);
            let g1 = t.backward(y1.id(), &seed1);
            let g2 = t.backward(y2.id(), &seed2);
            let mut got = vec![y1.to_f64(), y2.to_f64()];
            for (g, ids) in [
                (&g1, [s.id(), v.id(), d.id()]),
                (&g2, [v.id(), v.id(), v.id()]),
            ] {
                for id in ids {
                    got.push(g.get(id).map(|x| x.to_vec()).unwrap_or_default());
                }
            }
            for (g, layers) in [
                (&g1, [&p0.weight, &p2.weight]),
                (&g2, [&p1.weight, &p3.weight]),
            ] {
                for w in layers {
                    let id = t.param_id(w).expect("weights on the tape");
                    got.push(g.get(id).expect("weight gradient").to_vec());
                }
            }
            got
        };
        let (fused, added) = (run(true), run(false));
        for (n, (f, a)) in fused.iter().zip(&added).enumerate() {
            assert_eq!(f.len(), a.len(), "rows {rows}, array {n}");
            assert!(!f.is_empty(), "rows {rows}, array {n} is empty");
            assert!(relative_error(f, a) < 1e-12, "rows {rows}, array {n}");
        }
    }
}

#[test]
fn f32_agrees_with_f64() {
    let rows = 3;
    let a = random(1, rows * 2 * 5);
    let b = random(2, rows * 7);
    let t64 = Tape::<f64>::new();
    let y64 = tensor_product::<Tensor2e, Tensor3o, Tensor4o, f64>(
        eqv_core::non_equivariant::input(&t64, rows, 2, a.clone()),
        eqv_core::non_equivariant::input(&t64, rows, 1, b.clone()),
    )
    .to_f64();
    let t32 = Tape::<f32>::new();
    let y32 = tensor_product::<Tensor2e, Tensor3o, Tensor4o, f32>(
        eqv_core::non_equivariant::input(&t32, rows, 2, a.iter().map(|&x| x as f32).collect()),
        eqv_core::non_equivariant::input(&t32, rows, 1, b.iter().map(|&x| x as f32).collect()),
    )
    .to_f64();
    assert!(relative_error(&y32, &y64) < 1e-5);
}

// ---- e3nn-jax reference: the full unweighted product, assembled from paths.

/// `(mul, label, offset)` of each block of an irreps string like "2x0e+1x1o".
fn blocks(irreps: &str) -> Vec<(usize, String, usize)> {
    let mut off = 0;
    irreps
        .split('+')
        .map(|s| {
            let (mul, ir) = s.trim().split_once('x').unwrap();
            let mul: usize = mul.parse().unwrap();
            let l: usize = ir[..ir.len() - 1].parse().unwrap();
            let b = (mul, ir.to_string(), off);
            off += mul * (2 * l + 1);
            b
        })
        .collect()
}

/// The block of one path in e3nn-jax's layout: `mul1 · mul2` copies, u-major,
/// from one broadcasting element-wise product per channel of `x1`.
fn path<A: Irrep, B: Irrep, C>(x1: &[f64], m1: usize, x2: &[f64], m2: usize) -> Vec<f64>
where
    C: InProduct<A, B>,
{
    let t = Tape::new();
    let b = eqv_core::non_equivariant::input::<B, _>(&t, 1, m2, x2.to_vec());
    (0..m1)
        .flat_map(|u| {
            let a = eqv_core::non_equivariant::input::<A, _>(
                &t,
                1,
                1,
                x1[u * A::DIM..(u + 1) * A::DIM].to_vec(),
            );
            tensor_product::<A, B, C, f64>(a, b).to_f64()
        })
        .collect()
}

macro_rules! dispatch {
    ($key:expr, $x1:expr, $m1:expr, $x2:expr, $m2:expr; $(($a:ty, $b:ty, $c:ty)),* $(,)?) => {{
        let (i1, i2, i3) = $key;
        $(
            if <$a>::LABEL == i1 && <$b>::LABEL == i2 && <$c>::LABEL == i3 {
                return path::<$a, $b, $c>($x1, $m1, $x2, $m2);
            }
        )*
        panic!("no typed path for {i1} x {i2} -> {i3} in the test's table")
    }};
}

fn run_path(key: (&str, &str, &str), x1: &[f64], m1: usize, x2: &[f64], m2: usize) -> Vec<f64> {
    dispatch!(key, x1, m1, x2, m2;
        (Vector, Vector, Scalar), (Tensor2e, Tensor2e, Scalar),
        (Scalar, Vector, Vector), (Vector, Tensor2e, Vector), (Tensor2e, Vector, Vector),
        (Vector, Vector, Pseudovector), (Tensor2e, Tensor2e, Pseudovector),
        (Scalar, Tensor2e, Tensor2e), (Vector, Vector, Tensor2e), (Tensor2e, Tensor2e, Tensor2e),
        (Vector, Tensor2e, Tensor2o), (Tensor2e, Vector, Tensor2o),
        (Vector, Tensor2e, Tensor3o), (Tensor2e, Vector, Tensor3o),
        (Tensor2e, Tensor2e, Tensor3e), (Tensor2e, Tensor2e, Tensor4e),
        (Scalar, Pseudoscalar, Pseudoscalar), (Vector, Pseudovector, Pseudoscalar),
        (Vector, Pseudovector, Vector), (Scalar, Pseudovector, Pseudovector),
        (Vector, Pseudoscalar, Pseudovector), (Vector, Pseudovector, Tensor2o),
    )
}

#[test]
fn full_product_matches_e3nn_jax() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/refs/e3nn_jax_more.json"
    ))
    .expect("reference file tests/refs/e3nn_jax_more.json");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = json["tensor_product"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 3);
    let floats = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    let mut worst = 0.0_f64;
    for case in cases {
        let (b1, b2) = (
            blocks(case["irreps1"].as_str().unwrap()),
            blocks(case["irreps2"].as_str().unwrap()),
        );
        let (x1, x2, expected) = (
            floats(&case["x1"]),
            floats(&case["x2"]),
            floats(&case["out"]),
        );
        let mut ours = Vec::new();
        for p in case["paths_in_output_order"].as_array().unwrap() {
            let (m1, ir1, o1) = &b1[p["block1"].as_u64().unwrap() as usize];
            let (m2, ir2, o2) = &b2[p["block2"].as_u64().unwrap() as usize];
            assert_eq!(
                (ir1.as_str(), ir2.as_str()),
                (p["ir1"].as_str().unwrap(), p["ir2"].as_str().unwrap())
            );
            let d1 = m1 * (2 * ir1[..ir1.len() - 1].parse::<usize>().unwrap() + 1);
            let d2 = m2 * (2 * ir2[..ir2.len() - 1].parse::<usize>().unwrap() + 1);
            let block = run_path(
                (ir1, ir2, p["ir_out"].as_str().unwrap()),
                &x1[*o1..o1 + d1],
                *m1,
                &x2[*o2..o2 + d2],
                *m2,
            );
            assert_eq!(ours.len(), p["offset"].as_u64().unwrap() as usize);
            ours.extend(block);
        }
        assert_eq!(ours.len(), expected.len());
        let err = ours
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!(
            "{} ⊗ {} ({:?}): max abs error {err:e}",
            case["irreps1"], case["irreps2"], case["filter_ir_out"]
        );
        worst = worst.max(err);
    }
    assert!(worst < 1e-10, "e3nn-jax mismatch {worst:e}");
}

#[test]
fn rows_are_independent_and_broadcast_matches_repeat() {
    // Broadcasting b's single channel equals repeating it.
    let (rows, mul) = (3, 4);
    let a = random(1, rows * mul * 5);
    let b = random(2, rows * 3);
    let rep: Vec<f64> = b
        .chunks(3)
        .flat_map(|c| std::iter::repeat_n(c, mul).flatten().copied())
        .collect();
    let t = Tape::new();
    let y1 = tensor_product::<Tensor2e, Vector, Tensor3o, f64>(
        eqv_core::non_equivariant::input(&t, rows, mul, a.clone()),
        eqv_core::non_equivariant::input(&t, rows, 1, b),
    )
    .to_f64();
    let y2 = tensor_product::<Tensor2e, Vector, Tensor3o, f64>(
        eqv_core::non_equivariant::input(&t, rows, mul, a),
        eqv_core::non_equivariant::input(&t, rows, mul, rep),
    )
    .to_f64();
    assert_eq!(y1, y2);
}

/// Rough timing of a NequIP-style convolution, best of 5 (run with
/// `cargo test --release --test ops_tensor_product -- --ignored --nocapture`).
#[test]
#[ignore]
fn timing_nequip_like_convolution() {
    let (rows, mul) = (20_000, 32);
    let f32s = |seed: u64, n: usize| {
        random(seed, n)
            .into_iter()
            .map(|x| x as f32)
            .collect::<Vec<_>>()
    };
    let (xd, shd, wd) = (
        f32s(1, rows * mul * 5),
        f32s(2, rows * 3),
        f32s(3, rows * mul),
    );
    let tp = FullyConnectedTp::<Tensor2e, Vector, Tensor3o>::new(mul, 1, mul, &mut Rng::new(1));
    let best = |f: &dyn Fn() -> std::time::Duration| (0..5).map(|_| f()).min().unwrap();
    let timed = |f: &dyn Fn()| {
        let s = std::time::Instant::now();
        f();
        s.elapsed()
    };
    let uuu = best(&|| {
        let t = Tape::<f32>::new();
        let x = eqv_core::non_equivariant::input::<Tensor2e, f32>(&t, rows, mul, xd.clone());
        let sh = eqv_core::non_equivariant::input::<Vector, f32>(&t, rows, 1, shd.clone());
        timed(&|| {
            tensor_product::<_, _, Tensor3o, _>(x, sh);
        })
    });
    let (uvu, uvu_back) = (0..5)
        .map(|_| {
            let t = Tape::<f32>::new();
            let x = eqv_core::non_equivariant::variable::<Tensor2e, f32>(&t, rows, mul, xd.clone());
            let sh = eqv_core::non_equivariant::variable::<Vector, f32>(&t, rows, 1, shd.clone());
            let w = eqv_core::non_equivariant::variable::<Scalar, f32>(&t, rows, mul, wd.clone());
            let s = std::time::Instant::now();
            let y = channelwise_tensor_product::<_, _, Tensor3o, _>(x, sh, w, 1.0);
            let f = s.elapsed();
            let seed = vec![1.0; rows * mul * 7];
            let s = std::time::Instant::now();
            let _ = t.backward(y.id(), &seed);
            (f, s.elapsed())
        })
        .fold(
            (std::time::Duration::MAX, std::time::Duration::MAX),
            |a, b| (a.0.min(b.0), a.1.min(b.1)),
        );
    let uvw = best(&|| {
        let t = Tape::<f32>::new();
        let x = eqv_core::non_equivariant::input::<Tensor2e, f32>(&t, rows, mul, xd.clone());
        let sh = eqv_core::non_equivariant::input::<Vector, f32>(&t, rows, 1, shd.clone());
        timed(&|| {
            tp.forward(x, sh);
        })
    });
    eprintln!(
        "{rows} rows x {mul} channels, 2e x 1o -> 3o (nnz {}), f32, best of 5: uuu forward {uuu:?}, uvu forward {uvu:?}, uvu backward (a, b, w) {uvu_back:?}, uvw ({mul}x1->{mul}) forward {uvw:?}",
        eqv_core::so3::clebsch_gordan_sparse(2, 1, 3).len()
    );
}
