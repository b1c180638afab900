//! The graph: edge vectors are translation invariant, rotate (and reflect)
//! with the structure and are renumbered with its atoms; gathers and
//! symmetric reductions have exact VJPs; positions gradients flow.

use eqv_core::check::{relative_error, rotate_data, test_transforms, vjp_error};
use eqv_core::graph::motion::rotate;
use eqv_core::graph::{mean_rows_by, sum_rows_by, Batch, Graph, Motion};
use eqv_core::non_equivariant;
use eqv_core::prelude::*;
use eqv_core::tape::NodeId;
use nalgebra::Matrix3;

fn cluster(seed: u64, n: usize) -> Vec<[f64; 3]> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            [
                rng.uniform_in(-1.5, 1.5),
                rng.uniform_in(-1.5, 1.5),
                rng.uniform_in(-1.5, 1.5),
            ]
        })
        .collect()
}

fn cluster_batch() -> Batch {
    let p = cluster(1, 7);
    Batch::from_positions(&p, &[0, 1, 0, 2, 1, 0, 2], 2.2).unwrap()
}

/// A small triclinic periodic cell whose cutoff exceeds half the cell, so
/// atoms see several images of each other and of themselves.
fn periodic_batch() -> Batch {
    let cell = [[3.0, 0.0, 0.0], [0.4, 2.8, 0.0], [0.3, -0.2, 3.1]];
    let p = vec![
        [0.1, 0.2, 0.3],
        [1.6, 1.2, 0.8],
        [2.2, 0.3, 2.0],
        [0.7, 2.0, 2.6],
    ];
    Batch::from_structure(&p, &[0, 1, 1, 0], Some(&cell), [true; 3], 3.05).unwrap()
}

/// The batch translated by `t` (same edges).
fn translated(b: &Batch, t: [f64; 3]) -> Batch {
    b.moved(&Motion {
        t,
        ..Motion::rotation(Matrix3::identity())
    })
}

/// Atom `a` of the result is atom `perm[a]` of `b`; edges keep their order.
fn permute_atoms(b: &Batch, perm: &[usize]) -> Batch {
    b.moved(&Motion {
        perm: perm.to_vec(),
        ..Motion::rotation(Matrix3::identity())
    })
}

fn edge_vectors(b: &Batch) -> Vec<f64> {
    let tape = Tape::<f64>::new();
    Graph::new(&tape, b).edge_vectors().to_f64()
}

#[test]
fn edge_vectors_match_positions_and_shifts() {
    for b in [cluster_batch(), periodic_batch()] {
        assert!(b.num_edges() > 0);
        let ev = edge_vectors(&b);
        for k in 0..b.num_edges() {
            let (i, j) = (b.centers()[k], b.neighbors()[k]);
            for a in 0..3 {
                let want = b.positions()[j][a] - b.positions()[i][a] + b.shifts()[k][a];
                assert!((ev[3 * k + a] - want).abs() < 1e-14);
            }
        }
    }
    // The periodic cell has self-images (i == j, nonzero shift).
    let p = periodic_batch();
    assert!((0..p.num_edges()).any(|k| p.centers()[k] == p.neighbors()[k]));
}

#[test]
fn edge_vectors_are_translation_invariant() {
    for b in [cluster_batch(), periodic_batch()] {
        let ev = edge_vectors(&b);
        let t = [3.7, -1.2, 0.4];
        let moved = translated(&b, t);
        let err = relative_error(&edge_vectors(&moved), &ev);
        assert!(err < 1e-14, "translation error {err}");
    }
}

#[test]
fn edge_vectors_rotate_and_reflect_with_the_structure() {
    for b in [cluster_batch(), periodic_batch()] {
        let ev = edge_vectors(&b);
        for r in test_transforms(5, 4) {
            let rotated = b.rotated(&r);
            let err = relative_error(&edge_vectors(&rotated), &rotate_data::<Vector>(&ev, &r));
            assert!(
                err < 1e-10,
                "rotation error {err} (det {})",
                r.determinant()
            );
        }
    }
}

#[test]
fn rebuilt_neighbor_lists_agree_after_rotation() {
    // Rebuilding the list for the rotated structure gives the same set of
    // (center, neighbour, rotated vector) edges, possibly in another order.
    let b = cluster_batch();
    let ev = edge_vectors(&b);
    let r = test_transforms(9, 1)[1];
    let rp: Vec<[f64; 3]> = b.positions().iter().map(|&p| rotate(&r, p)).collect();
    let rb = Batch::from_positions(&rp, b.species(), 2.2).unwrap();
    assert_eq!(rb.num_edges(), b.num_edges());
    let rev = edge_vectors(&rb);
    let want = rotate_data::<Vector>(&ev, &r);
    for k in 0..rb.num_edges() {
        let found = (0..b.num_edges()).any(|m| {
            b.centers()[m] == rb.centers()[k]
                && b.neighbors()[m] == rb.neighbors()[k]
                && (0..3).all(|a| (want[3 * m + a] - rev[3 * k + a]).abs() < 1e-10)
        });
        assert!(found, "edge {k} of the rotated structure has no partner");
    }
}

#[test]
fn permuting_atoms_permutes_rows_consistently() {
    for b in [cluster_batch(), periodic_batch()] {
        let n = b.num_atoms();
        let mut perm: Vec<usize> = (0..n).collect();
        Rng::new(3).shuffle(&mut perm);
        let pb = permute_atoms(&b, &perm);
        // Edges keep their order, so edge vectors are identical.
        assert_eq!(edge_vectors(&pb), edge_vectors(&b));
        // Atom-level results are renumbered with the atoms.
        let atoms = |b: &Batch| {
            let tape = Tape::<f64>::new();
            let g = Graph::new(&tape, b);
            let oh = g.species_one_hot(3);
            let e = g.edge_vectors();
            let v = g.scatter_sum(e.scale(g.gather_neighbors(oh).channels(0, 1)));
            let m = g.scatter_mean(e.norm());
            (v.to_f64(), m.to_f64())
        };
        let (v, m) = atoms(&b);
        let (pv, pm) = atoms(&pb);
        for a in 0..n {
            assert!(
                relative_error(&pv[3 * a..3 * a + 3], &v[3 * perm[a]..3 * perm[a] + 3]) < 1e-14
            );
            assert!((pm[a] - m[perm[a]]).abs() < 1e-14);
        }
    }
}

#[test]
fn batching_concatenates_independent_structures() {
    let (a, b) = (cluster_batch(), periodic_batch());
    let ab = Batch::concat(&[a.clone(), b.clone()]);
    assert_eq!(ab.num_structures(), 2);
    let per_structure = |x: &Batch| {
        let tape = Tape::<f64>::new();
        let g = Graph::new(&tape, x);
        let d = g.edge_vectors().norm();
        (
            g.sum_over_atoms(g.scatter_sum(d)).to_f64(),
            g.mean_over_atoms(g.scatter_sum(d)).to_f64(),
        )
    };
    let (sa, ma) = per_structure(&a);
    let (sb, mb) = per_structure(&b);
    let (s, m) = per_structure(&ab);
    assert!((s[0] - sa[0]).abs() < 1e-12 && (s[1] - sb[0]).abs() < 1e-12);
    assert!((m[0] - ma[0]).abs() < 1e-12 && (m[1] - mb[0]).abs() < 1e-12);
}

/// `⟨w, J e_k⟩` from the tape vs central differences, `f` of positions.
fn position_vjp_error(b: &Batch, f: impl for<'t> Fn(&Graph<'t>) -> NodeId) -> f64 {
    let x0: Vec<f64> = b.positions().iter().flatten().copied().collect();
    let eval = |x: &[f64]| {
        let tape = Tape::<f64>::new();
        let g = Graph::from_positions(&tape, b, x.to_vec());
        let id = f(&g);
        tape.value(id).to_vec()
    };
    let y0 = eval(&x0);
    let w = Rng::new(17).normals(y0.len());
    let tape = Tape::<f64>::new();
    let g = Graph::from_positions(&tape, b, x0.clone());
    let out = f(&g);
    let grad = tape.backward(out, &w).get_or_zeros(g.positions_leaf());
    let h = 1e-6;
    let mut fd = Vec::new();
    for i in 0..x0.len() {
        let (mut p, mut m) = (x0.clone(), x0.clone());
        p[i] += h;
        m[i] -= h;
        let (yp, ym) = (eval(&p), eval(&m));
        fd.push(
            w.iter()
                .zip(yp.iter().zip(&ym))
                .map(|(w, (a, b))| w * (a - b) / (2.0 * h))
                .sum::<f64>(),
        );
    }
    relative_error(&grad, &fd)
}

#[test]
fn position_gradients_match_finite_differences() {
    for b in [cluster_batch(), periodic_batch()] {
        let err = position_vjp_error(&b, |g| g.edge_vectors().id());
        assert!(err < 1e-8, "edge_vectors vjp {err}");
        let err = position_vjp_error(&b, |g| {
            let d = g.edge_vectors().norm();
            g.sum_over_atoms(g.scatter_mean(d.activate(Silu))).id()
        });
        assert!(err < 1e-8, "energy-like vjp {err}");
    }
}

#[test]
fn gather_and_scatter_vjps_match_finite_differences() {
    fn case<I: Irrep>(b: &Batch) {
        let (na, ne, mul) = (b.num_atoms(), b.num_edges(), 2);
        let xa = Rng::new(1).normals(na * mul * I::DIM);
        let xe = Rng::new(2).normals(ne * mul * I::DIM);
        let err = vjp_error(&[xa.clone(), xe.clone()], 4, |t, ids| {
            let g = Graph::new(t, b);
            let a = eqv_core::authoring::wrap::<I, _>(t, ids[0], na, mul);
            let e = eqv_core::authoring::wrap::<I, _>(t, ids[1], ne, mul);
            let edges = g.gather_centers(a) + g.gather_neighbors(a).scale_by(0.5) + e;
            let atoms = g.scatter_sum(edges) + g.scatter_mean(e).scale_by(-2.0);
            g.sum_over_atoms(atoms)
                .concat(g.mean_over_atoms(atoms))
                .id()
        });
        assert!(err < 1e-8, "{}: vjp error {err}", I::NAME);
        let err = vjp_error(&[xa], 6, |t, ids| {
            let a = eqv_core::authoring::wrap::<I, _>(t, ids[0], na, mul);
            let idx: Vec<usize> = (0..na).map(|i| (i * 7) % 3).collect();
            non_equivariant::sum_rows_by(a, &idx, 4)
                .concat(non_equivariant::mean_rows_by(a, &idx, 4))
                .id()
        });
        assert!(err < 1e-8, "{}: rows_by vjp error {err}", I::NAME);
        let err = vjp_error(std::slice::from_ref(&xe), 7, |t, ids| {
            let g = Graph::new(t, b);
            let e = eqv_core::authoring::wrap::<I, _>(t, ids[0], ne, mul);
            let (to_atoms, to_structures) = (g.edges_to_centers(), g.atoms_to_structures());
            let atoms = sum_rows_by(e, &to_atoms) + mean_rows_by(e, &to_atoms);
            sum_rows_by(atoms, &to_structures)
                .concat(mean_rows_by(atoms, &to_structures))
                .id()
        });
        assert!(
            err < 1e-8,
            "{}: graph-grouped rows_by vjp error {err}",
            I::NAME
        );
    }
    for b in [cluster_batch(), periodic_batch()] {
        case::<Scalar>(&b);
        case::<Vector>(&b);
        case::<Tensor2e>(&b);
        case::<Tensor3o>(&b);
    }
}

#[test]
fn reductions_are_equivariant_for_every_irrep() {
    fn case<I: Irrep>(b: &Batch) {
        let (ne, mul) = (b.num_edges(), 3);
        let x = Rng::new(8).normals(ne * mul * I::DIM);
        let run = |x: Vec<f64>| {
            let tape = Tape::<f64>::new();
            let g = Graph::new(&tape, b);
            let e = eqv_core::non_equivariant::input::<I, _>(&tape, ne, mul, x);
            let atoms = g.scatter_sum(e) + g.scatter_mean(e);
            let back = g.gather_neighbors(atoms);
            g.sum_over_atoms(g.scatter_sum(back)).to_f64()
        };
        let y = run(x.clone());
        for r in test_transforms(4, 3) {
            let err = relative_error(&run(rotate_data::<I>(&x, &r)), &rotate_data::<I>(&y, &r));
            assert!(err < 1e-10, "{}: {err}", I::NAME);
        }
    }
    let b = cluster_batch();
    case::<Scalar>(&b);
    case::<Pseudoscalar>(&b);
    case::<Vector>(&b);
    case::<Pseudovector>(&b);
    case::<Tensor2o>(&b);
    case::<Tensor4e>(&b);
}

#[test]
fn empty_groups_give_zero_not_nan() {
    // Atom 2 is far away: no edges, so its mean over neighbours is 0.
    let b = Batch::from_positions(
        &[[0.0; 3], [1.0, 0.0, 0.0], [9.0, 0.0, 0.0]],
        &[0, 0, 0],
        1.5,
    )
    .unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let m = g.scatter_mean(g.edge_vectors().norm()).to_f64();
    assert_eq!(m, vec![1.0, 1.0, 0.0]);
    let x = eqv_core::non_equivariant::input::<Scalar, _>(&tape, 2, 1, vec![1.0, 3.0]);
    assert_eq!(
        non_equivariant::mean_rows_by(x, &[0, 0], 2).to_f64(),
        vec![2.0, 0.0]
    );
    let empty = Batch::concat(&[
        b.clone(),
        Batch::new(vec![], vec![], vec![0], vec![], vec![], vec![]).unwrap(),
    ]);
    let t2 = Tape::<f64>::new();
    let g2 = Graph::new(&t2, &empty);
    let e = g2.mean_over_atoms(g2.species_one_hot(1)).to_f64();
    assert_eq!(e, vec![1.0, 0.0]);
}

#[test]
fn absolute_positions_are_only_available_through_the_opt_out() {
    let b = cluster_batch();
    let run = |b: &Batch| {
        let tape = Tape::<f64>::new();
        let g = Graph::new(&tape, b);
        let p = eqv_core::non_equivariant::positions(&g);
        g.sum_over_atoms(p.norm()).to_f64()[0]
    };
    let moved = translated(&b, [1.0, 0.0, 0.0]);
    assert!(
        (run(&b) - run(&moved)).abs() > 1e-3,
        "absolute positions should not be translation invariant"
    );
}

#[test]
fn species_one_hot_is_an_untracked_input() {
    let b = cluster_batch();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let oh = g.species_one_hot(3);
    assert!(!tape.is_tracked(oh.id()));
    let v = oh.to_f64();
    for (a, &s) in b.species().iter().enumerate() {
        assert_eq!(
            &v[3 * a..3 * a + 3],
            &[0, 1, 2].map(|k| if k == s { 1.0 } else { 0.0 })
        );
    }
}
