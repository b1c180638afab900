//! Equivariance (proper and improper rotations, f64) and finite-difference
//! VJP checks for the linear ops: linear maps, sums, scaling, concatenation,
//! norms, dot and cross products, activations.

use eqv_core::check::{
    equivariance_error, relative_error, rotate_data, test_transforms, vjp_error,
};
use eqv_core::prelude::*;

const TOL: f64 = 1e-10;

fn random(seed: u64, n: usize) -> Vec<f64> {
    Rng::new(seed).normals(n)
}

/// f(D x) == D' f(x) for every test transform, with `I` in and `O` out
/// (through the library's one check, `check::equivariance_error`).
fn assert_equivariant<I: Irrep, O: Irrep>(x: &[f64], f: impl Fn(&Tape<f64>, Vec<f64>) -> Vec<f64>) {
    let err = equivariance_error::<I, O>(x, &test_transforms(11, 4), |x| f(&Tape::new(), x));
    assert!(
        err < TOL,
        "{} -> {}: equivariance error {err}",
        I::NAME,
        O::NAME
    );
}

#[test]
fn linear_is_equivariant_for_every_irrep_and_has_correct_vjp() {
    fn case<I: Irrep>() {
        let mut rng = Rng::new(3);
        let lin = Linear::<I, I>::new(4, 5, &mut rng);
        let x = random(1, 3 * 4 * I::DIM);
        assert_equivariant::<I, I>(&x, |t, x| {
            lin.forward(eqv_core::non_equivariant::input::<I, _>(t, 3, 4, x))
                .to_f64()
        });
        let err = vjp_error(&[x], 5, |t, ids| {
            lin.forward(eqv_core::authoring::wrap::<I, _>(t, ids[0], 3, 4))
                .id()
        });
        assert!(err < 1e-7, "{}: vjp error {err}", I::NAME);
    }
    case::<Scalar>();
    case::<Pseudoscalar>();
    case::<Vector>();
    case::<Pseudovector>();
    case::<Tensor2e>();
    case::<Tensor3o>();
    case::<Tensor8e>();
}

#[test]
fn linear_weight_and_bias_gradients_match_finite_differences() {
    let mut rng = Rng::new(9);
    let lin = Linear::<Scalar, Scalar>::with_bias(3, 2, &mut rng);
    let x = random(2, 4 * 3);
    let cot = random(4, 4 * 2);
    let loss = |l: &Linear<Scalar, Scalar>| {
        let t = Tape::new();
        let y = l
            .forward(eqv_core::non_equivariant::input::<Scalar, _>(
                &t,
                4,
                3,
                x.clone(),
            ))
            .to_f64();
        y.iter().zip(&cot).map(|(a, b)| a * b).sum::<f64>()
    };
    let t = Tape::new();
    let y = lin.forward(eqv_core::non_equivariant::input::<Scalar, _>(
        &t,
        4,
        3,
        x.clone(),
    ));
    let grads = t.backward(y.id(), &cot);
    let gw = grads
        .get(t.param_id(&lin.weight).unwrap())
        .unwrap()
        .to_vec();
    let gb = grads
        .get(t.param_id(lin.bias().unwrap()).unwrap())
        .unwrap()
        .to_vec();
    let nudge = |which: usize, i: usize, h: f64| {
        let mut l = lin.clone();
        let p = if which == 0 {
            &mut l.weight
        } else {
            l.bias_mut().unwrap()
        };
        p.data_mut()[i] += h;
        loss(&l)
    };
    for (which, g) in [(0, &gw), (1, &gb)] {
        for (i, &gi) in g.iter().enumerate() {
            let fd = (nudge(which, i, 1e-6) - nudge(which, i, -1e-6)) / 2e-6;
            assert!(
                (fd - gi).abs() < 1e-7,
                "param {which} grad {i}: {fd} vs {gi}"
            );
        }
    }
}

#[test]
fn linear_preserves_unit_variance() {
    let mut rng = Rng::new(1);
    let lin = Linear::<Vector, Vector>::new(64, 32, &mut rng);
    let rows = 500;
    let x = random(2, rows * 64 * 3);
    let t = Tape::new();
    let y = lin
        .forward(eqv_core::non_equivariant::input::<Vector, _>(
            &t, rows, 64, x,
        ))
        .to_f64();
    let var = y.iter().map(|v| v * v).sum::<f64>() / y.len() as f64;
    assert!((var - 1.0).abs() < 0.25, "output variance {var}");
}

#[test]
fn sums_scaling_concat_and_slicing_are_equivariant_with_exact_vjps() {
    fn case<I: Irrep>() {
        let (rows, mul) = (3, 2);
        let n = rows * mul * I::DIM;
        let a = random(1, n);
        let b = random(2, n);
        let s = random(3, rows * mul);
        let s1 = random(4, rows);
        let ab: Vec<f64> = a.iter().chain(&b).copied().collect();
        let split = |x: Vec<f64>| (x[..n].to_vec(), x[n..].to_vec());
        assert_equivariant::<I, I>(&ab, |t, x| {
            let (a, b) = split(x);
            let (a, b) = (
                eqv_core::non_equivariant::input::<I, _>(t, rows, mul, a),
                eqv_core::non_equivariant::input::<I, _>(t, rows, mul, b),
            );
            let sc = eqv_core::non_equivariant::input::<Scalar, _>(t, rows, mul, s.clone());
            let sc1 = eqv_core::non_equivariant::input::<Scalar, _>(t, rows, 1, s1.clone());
            let y = (a + b).scale(sc) - a.scale(sc1).scale_by(0.5) + (-b);
            y.concat(a).channels(1, 3).to_f64()
        });
        let err = vjp_error(&[a, b, s, s1], 7, |t, ids| {
            let a = eqv_core::authoring::wrap::<I, _>(t, ids[0], rows, mul);
            let b = eqv_core::authoring::wrap::<I, _>(t, ids[1], rows, mul);
            let sc = eqv_core::authoring::wrap::<Scalar, _>(t, ids[2], rows, mul);
            let sc1 = eqv_core::authoring::wrap::<Scalar, _>(t, ids[3], rows, 1);
            let y = (a + b).scale(sc) - a.scale(sc1).scale_by(0.5) + (-b);
            y.concat(a).channels(1, 3).id()
        });
        assert!(err < 1e-7, "{}: vjp error {err}", I::NAME);
    }
    case::<Scalar>();
    case::<Vector>();
    case::<Pseudovector>();
    case::<Tensor2o>();
    case::<Tensor5e>();
}

#[test]
fn a_feature_on_both_sides_of_a_sum_or_difference_gets_both_gradients() {
    // The first gradient into a node is written, the second added: `a + a`
    // must pull back 2·gy, `b - b` zero, whatever came first.
    let t = Tape::<f64>::new();
    let (rows, mul) = (2, 3);
    let n = rows * mul * 3;
    let a = eqv_core::non_equivariant::variable::<Vector, _>(&t, rows, mul, random(1, n));
    let b = eqv_core::non_equivariant::variable::<Vector, _>(&t, rows, mul, random(2, n));
    let y = (a + a) + (b - b) + (a - b);
    let seed = random(3, n);
    let g = t.backward(y.id(), &seed);
    let (ga, gb) = (g.get(a.id()).expect("a"), g.get(b.id()).expect("b"));
    for k in 0..n {
        assert_eq!(ga[k], 3.0 * seed[k]);
        assert_eq!(gb[k], -seed[k]);
    }
}

#[test]
fn gradients_shared_by_sums_are_copied_before_they_are_added_into() {
    // A sum hands its output's gradient to its operands without copying
    // it; every later addition into one of them must copy first and leave
    // the other holders' gradients alone. y = (s + a) - b + 2s with
    // s = a + b is 4a + 2b. (Integer seeds: every sum exact.)
    let t = Tape::<f64>::new();
    let (rows, mul) = (2, 3);
    let n = rows * mul * 3;
    let a = eqv_core::non_equivariant::variable::<Vector, _>(&t, rows, mul, random(1, n));
    let b = eqv_core::non_equivariant::variable::<Vector, _>(&t, rows, mul, random(2, n));
    let s = a + b;
    let y = (s + a) - b + s.scale_by(2.0);
    let seed: Vec<f64> = random(3, n).iter().map(|x| (8.0 * x).round()).collect();
    let g = t.backward(y.id(), &seed);
    let (ga, gb) = (g.get(a.id()).expect("a"), g.get(b.id()).expect("b"));
    for k in 0..n {
        assert_eq!((ga[k], gb[k]), (4.0 * seed[k], 2.0 * seed[k]), "entry {k}");
    }
    // A leaf's gradient may be the output's own, shared: y = a + b.
    let y = a + b;
    let g = t.backward(y.id(), &seed);
    assert_eq!(g.get(a.id()).expect("a"), &seed[..]);
    assert_eq!(g.get(b.id()).expect("b"), &seed[..]);
}

#[test]
fn norms_and_dot_products_are_invariant_with_exact_vjps() {
    fn case<I: Irrep>() {
        let (rows, mul) = (2, 3);
        let n = rows * mul * I::DIM;
        let ab: Vec<f64> = random(5, 2 * n);
        assert_equivariant::<I, Scalar>(&ab, |t, x| {
            let a = eqv_core::non_equivariant::input::<I, _>(t, rows, mul, x[..n].to_vec());
            let b = eqv_core::non_equivariant::input::<I, _>(t, rows, mul, x[n..].to_vec());
            let y = a.norm() + b.squared_norm() + a.dot(b);
            y.to_f64()
        });
        let err = vjp_error(&[ab[..n].to_vec(), ab[n..].to_vec()], 3, |t, ids| {
            let a = eqv_core::authoring::wrap::<I, _>(t, ids[0], rows, mul);
            let b = eqv_core::authoring::wrap::<I, _>(t, ids[1], rows, mul);
            (a.norm() + b.squared_norm() + a.dot(b)).id()
        });
        assert!(err < 1e-7, "{}: vjp error {err}", I::NAME);
    }
    case::<Scalar>();
    case::<Pseudoscalar>();
    case::<Vector>();
    case::<Tensor4o>();
}

#[test]
fn norm_of_zero_is_zero_with_zero_gradient() {
    let t = Tape::new();
    let v = eqv_core::non_equivariant::variable::<Vector, _>(&t, 1, 1, vec![0.0; 3]);
    let n = v.norm();
    assert_eq!(n.to_f64(), vec![0.0]);
    let g = t.backward(n.id(), &[1.0]);
    assert!(g.get(v.id()).is_none_or(|g| g.iter().all(|x| *x == 0.0)));
}

#[test]
fn cross_products_have_the_right_parity_and_vjp() {
    let (rows, mul) = (2, 2);
    let n = rows * mul * 3;
    let ab = random(8, 2 * n);
    // Vector x Vector -> Pseudovector
    assert_equivariant_pair::<Vector, Vector, Pseudovector>(&ab, n, |a, b| a.cross(b).to_f64());
    assert_equivariant_pair::<Vector, Pseudovector, Vector>(&ab, n, |a, b| a.cross(b).to_f64());
    let err = vjp_error(&[ab[..n].to_vec(), ab[n..].to_vec()], 3, |t, ids| {
        let a = eqv_core::authoring::wrap::<Vector, _>(t, ids[0], rows, mul);
        let b = eqv_core::authoring::wrap::<Vector, _>(t, ids[1], rows, mul);
        a.cross(b).id()
    });
    assert!(err < 1e-7, "cross vjp error {err}");

    fn assert_equivariant_pair<A: Irrep, B: Irrep, C: Irrep>(
        ab: &[f64],
        n: usize,
        f: impl for<'t> Fn(Feat<'t, A>, Feat<'t, B>) -> Vec<f64>,
    ) {
        let run = |a: Vec<f64>, b: Vec<f64>| {
            let t = Tape::new();
            f(
                eqv_core::non_equivariant::input::<A, _>(&t, 2, 2, a),
                eqv_core::non_equivariant::input::<B, _>(&t, 2, 2, b),
            )
        };
        let y = run(ab[..n].to_vec(), ab[n..].to_vec());
        for r in test_transforms(2, 3) {
            let y2 = run(
                rotate_data::<A>(&ab[..n], &r),
                rotate_data::<B>(&ab[n..], &r),
            );
            let err = relative_error(&y2, &rotate_data::<C>(&y, &r));
            assert!(err < TOL, "{} x {} -> {}: {err}", A::NAME, B::NAME, C::NAME);
        }
    }
}

#[test]
fn activations_on_scalars_are_invariant_and_opt_out_is_not_equivariant() {
    let x = random(3, 4 * 2);
    assert_equivariant::<Scalar, Scalar>(&x, |t, x| {
        eqv_core::non_equivariant::input::<Scalar, _>(t, 4, 2, x)
            .activate(Silu)
            .to_f64()
    });
    // The named opt-out really is not equivariant: an MLP-like use of x, y, z.
    let v = random(4, 3);
    let run = |v: Vec<f64>| {
        let t = Tape::new();
        let parts = eqv_core::non_equivariant::components(eqv_core::non_equivariant::input::<
            Vector,
            _,
        >(&t, 1, 1, v));
        let relu_then_back: Vec<_> = parts.into_iter().map(|p| p.activate(Relu)).collect();
        eqv_core::non_equivariant::assemble::<Vector, f64>(&relu_then_back).to_f64()
    };
    let y = run(v.clone());
    let worst = test_transforms(1, 4)
        .iter()
        .map(|r| {
            relative_error(
                &run(rotate_data::<Vector>(&v, r)),
                &rotate_data::<Vector>(&y, r),
            )
        })
        .fold(0.0, f64::max);
    assert!(
        worst > 1e-3,
        "a ReLU on components should break equivariance, error {worst}"
    );
}
