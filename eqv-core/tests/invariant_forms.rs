//! The legitimate forms users write first: `*` and `/` by invariants,
//! `normalize`, the triple product, typed forces, per-structure values
//! broadcast to atoms and centroid-relative positions (the dipole). Each is
//! checked for equivariance under proper and improper rotations and its
//! gradient against finite differences.

use eqv_core::authoring::{assert_equivariant, assert_equivariant2, wrap};
use eqv_core::check::{relative_error, rotate_data, test_transforms, vjp_error};
use eqv_core::graph::{forces_from_energy, Batch};
use eqv_core::prelude::*;
use nalgebra::{Matrix3, Vector3};

fn swap_channels<'t, I: Irrep>(x: Feat<'t, I>) -> Feat<'t, I> {
    x.channels(1, 2).concat(x.channels(0, 1))
}

#[test]
fn products_by_invariants_are_equivariant() {
    assert_equivariant2(
        "scalar * vector",
        |s: Feat<'_, Scalar>, v: Feat<'_, Vector>| s * v,
    );
    assert_equivariant2(
        "vector * scalar",
        |v: Feat<'_, Vector>, s: Feat<'_, Scalar>| v * s,
    );
    assert_equivariant2(
        "tensor2e / scalar",
        |v: Feat<'_, Tensor2e>, s: Feat<'_, Scalar>| {
            v / (s.squared_norm() + s.squared_norm().activate(Softplus))
        },
    );
    assert_equivariant2(
        "pseudoscalar * vector",
        |p: Feat<'_, Pseudoscalar>, v: Feat<'_, Vector>| -> Feat<'_, Pseudovector> { p * v },
    );
    assert_equivariant2(
        "vector / pseudoscalar",
        |v: Feat<'_, Vector>, p: Feat<'_, Pseudoscalar>| -> Feat<'_, Pseudovector> { v / p },
    );
    assert_equivariant2(
        "scalar * scalar (1 channel)",
        |a: Feat<'_, Scalar>, b: Feat<'_, Scalar>| a.channels(0, 1) * b,
    );
    assert_equivariant("vector * 2.5", |v: Feat<'_, Vector>| v * 2.5 / 1.5);
    assert_equivariant("r / |r|", |v: Feat<'_, Vector>| v / v.norm());
    assert_equivariant("normalize", |v: Feat<'_, Tensor3o>| v.normalize());
    assert_equivariant2("triple", |a: Feat<'_, Vector>, b: Feat<'_, Vector>| {
        a.triple(b, swap_channels(a))
    });
}

#[test]
fn values_are_the_textbook_ones() {
    let tape = Tape::<f64>::new();
    let input = eqv_core::non_equivariant::input::<Vector, f64>;
    let a = input(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
    let b = input(&tape, 1, 1, vec![0.0, 2.0, 0.0]);
    let c = input(&tape, 1, 1, vec![0.0, 0.0, 3.0]);
    assert_eq!(a.triple(b, c).to_f64(), vec![6.0]);
    assert_eq!(b.triple(a, c).to_f64(), vec![-6.0]);
    let n = (a + b).normalize().to_f64();
    assert!((n[0] - 1.0 / 5f64.sqrt()).abs() < 1e-15 && (n[1] - 2.0 / 5f64.sqrt()).abs() < 1e-15);
    let zero = Feat::<Vector>::zeros(&tape, 1, 1);
    assert_eq!(zero.normalize().to_f64(), vec![0.0; 3]);
    let s = eqv_core::non_equivariant::input::<Scalar, f64>(&tape, 1, 1, vec![4.0]);
    assert_eq!((b / s).to_f64(), vec![0.0, 0.5, 0.0]);
    assert_eq!((s * c).to_f64(), vec![0.0, 0.0, 12.0]);
}

#[test]
fn gradients_match_finite_differences() {
    let mut rng = Rng::new(3);
    let (rows, mul) = (3, 2);
    let s: Vec<f64> = (0..rows * mul)
        .map(|_| 0.5 + rng.uniform_in(0.0, 1.0))
        .collect();
    let (va, vb) = (rng_vec(rows * mul * 3, 11), rng_vec(rows * mul * 3, 12));
    let checks: Vec<(&str, f64)> = vec![
        (
            "scalar * vector",
            vjp_error(&[s.clone(), va.clone()], 1, |t, ids| {
                (wrap::<Scalar, _>(t, ids[0], rows, mul) * wrap::<Vector, _>(t, ids[1], rows, mul))
                    .id()
            }),
        ),
        (
            "vector / scalar",
            vjp_error(&[va.clone(), s.clone()], 2, |t, ids| {
                (wrap::<Vector, _>(t, ids[0], rows, mul) / wrap::<Scalar, _>(t, ids[1], rows, mul))
                    .id()
            }),
        ),
        (
            "pseudoscalar * vector",
            vjp_error(&[s.clone(), va.clone()], 3, |t, ids| {
                (wrap::<Pseudoscalar, _>(t, ids[0], rows, mul)
                    * wrap::<Vector, _>(t, ids[1], rows, mul))
                .id()
            }),
        ),
        (
            "one-channel scalar * vector",
            vjp_error(&[s[..rows].to_vec(), va.clone()], 4, |t, ids| {
                (wrap::<Scalar, _>(t, ids[0], rows, 1) * wrap::<Vector, _>(t, ids[1], rows, mul))
                    .id()
            }),
        ),
        (
            "normalize",
            vjp_error(std::slice::from_ref(&va), 5, |t, ids| {
                wrap::<Vector, _>(t, ids[0], rows, mul).normalize().id()
            }),
        ),
        (
            "r / |r|",
            vjp_error(std::slice::from_ref(&va), 6, |t, ids| {
                let r = wrap::<Vector, _>(t, ids[0], rows, mul);
                (r / r.norm()).id()
            }),
        ),
        (
            "triple",
            vjp_error(&[va.clone(), vb.clone()], 7, |t, ids| {
                let a = wrap::<Vector, _>(t, ids[0], rows, mul);
                let b = wrap::<Vector, _>(t, ids[1], rows, mul);
                a.triple(b, swap_channels(a) + b).id()
            }),
        ),
    ];
    for (name, err) in checks {
        assert!(err < 1e-7, "{name}: vjp error {err}");
    }
}

fn rng_vec(n: usize, seed: u64) -> Vec<f64> {
    Rng::new(seed).normals(n)
}

fn molecule() -> Batch {
    let p = [
        [0.0, 0.0, 0.1],
        [0.95, 0.1, 0.0],
        [-0.2, 0.9, 0.3],
        [0.3, 0.2, 1.1],
        [2.0, 2.0, 2.0],
        [2.9, 2.2, 2.1],
    ];
    let a = Batch::from_positions(&p[..4], &[0, 1, 1, 1], 1.6).unwrap();
    let b = Batch::from_positions(&p[4..], &[0, 1], 1.6).unwrap();
    Batch::concat(&[a, b])
        .with_atom_scalars(1, vec![0.6, -0.2, -0.3, -0.1, 0.4, -0.4])
        .unwrap()
}

fn moved(b: &Batch, m: &Matrix3<f64>, t: [f64; 3]) -> Batch {
    let pos = b
        .positions()
        .iter()
        .map(|p| {
            let r = m * Vector3::new(p[0], p[1], p[2]);
            [r[0] + t[0], r[1] + t[1], r[2] + t[2]]
        })
        .collect();
    b.clone().with_positions(pos).unwrap()
}

/// The dipole `Σ qᵢ (rᵢ − r̄)` per structure and, per atom, the broadcast
/// structure energy times the centred position, and the typed forces.
fn observables(b: &Batch) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, b);
    let dipole = g.sum_over_atoms(g.atom_scalars() * g.centered_positions());
    let d = g.edge_vectors().norm();
    let energy = g.sum_over_atoms(g.scatter_sum(d.activate(Softplus)));
    let per_atom = g.broadcast_to_atoms(energy) * g.centered_positions();
    let forces = Forces::from_energy(&g, energy);
    (dipole.to_f64(), per_atom.to_f64(), forces.feat().to_f64())
}

#[test]
fn dipole_broadcast_and_typed_forces_are_equivariant() {
    let b = molecule();
    let (d0, p0, f0) = observables(&b);
    assert_eq!(d0.len(), 6, "one dipole per structure");
    for m in test_transforms(5, 3) {
        let (d1, p1, f1) = observables(&moved(&b, &m, [0.7, -2.0, 3.3]));
        assert!(
            relative_error(&d1, &rotate_data::<Vector>(&d0, &m)) < 1e-12,
            "dipole"
        );
        assert!(
            relative_error(&p1, &rotate_data::<Vector>(&p0, &m)) < 1e-12,
            "broadcast"
        );
        assert!(
            relative_error(&f1, &rotate_data::<Vector>(&f0, &m)) < 1e-12,
            "forces"
        );
    }
}

#[test]
fn typed_forces_are_the_negative_gradient() {
    let b = molecule();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let e = g.sum_over_atoms(g.scatter_sum(g.edge_vectors().norm().activate(Softplus)));
    let typed = Energy::from_feat(e).forces(&g).to_vec3();
    assert_eq!(typed, forces_from_energy(&g, e));
    // finite differences of the energy
    let energy = |pos: Vec<[f64; 3]>| {
        let t = Tape::<f64>::new();
        let bb = b.clone().with_positions(pos).unwrap();
        let g = Graph::new(&t, &bb);
        g.sum_over_atoms(g.scatter_sum(g.edge_vectors().norm().activate(Softplus)))
            .to_f64()
            .iter()
            .sum::<f64>()
    };
    let h = 1e-6;
    for (i, f) in typed.iter().enumerate() {
        for a in 0..3 {
            let mut p = b.positions().to_vec();
            let mut m = b.positions().to_vec();
            p[i][a] += h;
            m[i][a] -= h;
            let fd = -(energy(p) - energy(m)) / (2.0 * h);
            assert!(
                (fd - f[a]).abs() < 1e-7,
                "atom {i} axis {a}: {fd} vs {}",
                f[a]
            );
        }
    }
}

#[test]
fn centered_positions_have_exact_gradients() {
    let b = molecule();
    let n = b.num_atoms();
    // positions enter through the graph's leaf: Σ w·(R − R̄) has gradient
    // w − mean(w) per structure
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let y = g.centered_positions();
    let w = Rng::new(1).normals(3 * n);
    let grads = tape.backward(y.id(), &w);
    let gp = grads.get_or_zeros(g.positions_leaf());
    for s in 0..b.num_structures() {
        let atoms = b.structure_atoms(s);
        let k = atoms.len() as f64;
        for a in 0..3 {
            let mean: f64 = atoms.clone().map(|i| w[3 * i + a]).sum::<f64>() / k;
            for i in atoms.clone() {
                assert!((gp[3 * i + a] - (w[3 * i + a] - mean)).abs() < 1e-14);
            }
        }
    }
}
