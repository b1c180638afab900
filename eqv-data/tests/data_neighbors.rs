//! Neighbour lists against a brute-force search over periodic images.
#![allow(clippy::needless_range_loop)] // index loops read like the math

use eqv_data::data::{Frame, NeighborList};
use eqv_data::rng::Rng;

type Edge = (u32, u32, [i32; 3]);

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Every (i, j, n) with |r_j - r_i + n·cell| < cutoff. For each pair, every
/// image n that could possibly be that close is tried: |Δs_k + n_k| must be
/// below cutoff / h_k, with Δs the fractional difference and h_k the height
/// of the cell along k (a bound that does not depend on any binning).
fn brute_force(pos: &[[f64; 3]], cell: &[[f64; 3]; 3], pbc: [bool; 3], cutoff: f64) -> Vec<Edge> {
    let periodic = pbc.iter().any(|&p| p);
    let (inv, h) = if periodic {
        // Non-periodic rows only enter the bound; replace a zero one.
        let mut cell = *cell;
        for k in 0..3 {
            if !pbc[k] && norm(cell[k]) == 0.0 {
                cell[k] = cross(cell[(k + 1) % 3], cell[(k + 2) % 3]);
            }
        }
        let m = nalgebra::Matrix3::from_fn(|r, c| cell[r][c]);
        let inv = m.try_inverse().unwrap();
        let vol = m.determinant().abs();
        let h: [f64; 3] =
            std::array::from_fn(|k| vol / norm(cross(cell[(k + 1) % 3], cell[(k + 2) % 3])));
        (inv, h)
    } else {
        (nalgebra::Matrix3::identity(), [1.0; 3])
    };
    let frac = |p: &[f64; 3]| -> [f64; 3] {
        std::array::from_fn(|k| (0..3).map(|x| p[x] * inv[(x, k)]).sum())
    };
    let mut out = Vec::new();
    for i in 0..pos.len() {
        for j in 0..pos.len() {
            let (si, sj) = (frac(&pos[i]), frac(&pos[j]));
            let range = |k: usize| -> (i32, i32) {
                if !pbc[k] {
                    return (0, 0);
                }
                let ds = sj[k] - si[k];
                let r = cutoff / h[k];
                ((-ds - r).floor() as i32 - 1, (-ds + r).ceil() as i32 + 1)
            };
            let (r0, r1, r2) = (range(0), range(1), range(2));
            for a in r0.0..=r0.1 {
                for b in r1.0..=r1.1 {
                    for c in r2.0..=r2.1 {
                        let cs = [a, b, c];
                        if i == j && cs == [0, 0, 0] {
                            continue;
                        }
                        let shift: [f64; 3] = std::array::from_fn(|x| {
                            (0..3)
                                .filter(|&k| pbc[k])
                                .map(|k| cs[k] as f64 * cell[k][x])
                                .sum()
                        });
                        let v: [f64; 3] = std::array::from_fn(|x| pos[j][x] - pos[i][x] + shift[x]);
                        if norm(v) < cutoff {
                            out.push((i as u32, j as u32, cs));
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// Checks the list against brute force and its own documented invariants.
fn check(pos: &[[f64; 3]], cell: Option<[[f64; 3]; 3]>, pbc: [bool; 3], cutoff: f64) -> usize {
    let nl = NeighborList::build(pos, cell.as_ref(), pbc, cutoff).unwrap();
    let c = cell.unwrap_or([[0.0; 3]; 3]);
    let expected = brute_force(pos, &c, pbc, cutoff);
    let mut got: Vec<Edge> = (0..nl.len())
        .map(|k| (nl.centers[k], nl.neighbors[k], nl.cell_shifts[k]))
        .collect();
    // Centers ascending and first_edge consistent.
    assert_eq!(nl.first_edge.len(), pos.len() + 1);
    for i in 0..pos.len() {
        for k in nl.edges_of(i) {
            assert_eq!(nl.centers[k] as usize, i);
        }
    }
    for k in 0..nl.len() {
        // Cartesian shift = cell_shift · cell, and the vector is short.
        for x in 0..3 {
            let s: f64 = (0..3).map(|d| nl.cell_shifts[k][d] as f64 * c[d][x]).sum();
            assert!((s - nl.shifts[k][x]).abs() < 1e-9);
        }
        assert!(norm(nl.vector(k, pos)) < cutoff);
    }
    got.sort();
    let n_got = got.len();
    assert_eq!(got, expected);
    // Directed: (i, j, S) implies (j, i, -S).
    let set: std::collections::HashSet<Edge> = got.iter().copied().collect();
    for &(i, j, s) in &got {
        assert!(set.contains(&(j, i, [-s[0], -s[1], -s[2]])));
    }
    n_got
}

fn random_in_cell(
    rng: &mut Rng,
    n: usize,
    cell: &[[f64; 3]; 3],
    lo: f64,
    hi: f64,
) -> Vec<[f64; 3]> {
    (0..n)
        .map(|_| {
            let s = [
                rng.uniform_in(lo, hi),
                rng.uniform_in(lo, hi),
                rng.uniform_in(lo, hi),
            ];
            std::array::from_fn(|x| (0..3).map(|k| s[k] * cell[k][x]).sum())
        })
        .collect()
}

#[test]
fn data_neighbors_random_cluster_matches_brute_force() {
    let mut rng = Rng::new(1);
    let box_ = [[15.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 9.0]];
    let pos = random_in_cell(&mut rng, 200, &box_, 0.0, 1.0);
    let n = check(&pos, None, [false; 3], 3.0);
    assert!(n > 200, "too few edges to be a test: {n}");
    // A cell given with pbc all false is ignored.
    assert_eq!(check(&pos, Some(box_), [false; 3], 3.0), n);
}

#[test]
fn data_neighbors_triclinic_periodic_matches_brute_force() {
    let mut rng = Rng::new(2);
    let cell = [[6.0, 0.0, 0.0], [1.7, 5.6, 0.0], [0.9, -1.3, 6.4]];
    // Some atoms outside the unit cell, to test wrapping.
    let pos = random_in_cell(&mut rng, 30, &cell, -0.4, 1.4);
    assert!(check(&pos, Some(cell), [true; 3], 3.5) > 30);
    // A bigger cell with several bins per direction.
    let big = [[11.0, 0.0, 0.0], [2.5, 10.5, 0.0], [-2.0, 1.5, 10.2]];
    let pos = random_in_cell(&mut rng, 120, &big, 0.0, 1.0);
    assert!(check(&pos, Some(big), [true; 3], 3.0) > 120);
}

#[test]
fn data_neighbors_mixed_pbc_matches_brute_force() {
    let mut rng = Rng::new(3);
    let cell = [[7.0, 0.0, 0.0], [2.0, 6.0, 0.0], [0.5, 0.8, 9.0]];
    let pos = random_in_cell(&mut rng, 40, &cell, -0.5, 1.5);
    for pbc in [
        [true, false, true],
        [false, true, false],
        [true, true, false],
        [false, false, true],
    ] {
        check(&pos, Some(cell), pbc, 3.0);
    }
    // A slab whose non-periodic lattice vector is zero (as ASE writes surfaces
    // without vacuum): only the periodic vectors matter.
    let slab = [[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]];
    let pos = random_in_cell(
        &mut rng,
        20,
        &[[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 6.0]],
        0.0,
        1.0,
    );
    check(&pos, Some(slab), [true, true, false], 3.0);
}

#[test]
fn data_neighbors_cell_smaller_than_cutoff() {
    let mut rng = Rng::new(4);
    let cell = [[2.1, 0.0, 0.0], [0.6, 1.9, 0.0], [0.3, 0.4, 2.4]];
    let pos = random_in_cell(&mut rng, 3, &cell, 0.0, 1.0);
    let n = check(&pos, Some(cell), [true; 3], 5.0);
    assert!(n > 100);
    // One atom: only its own images, e.g. the 6 nearest in a simple cubic cell.
    let nl = NeighborList::build(
        &[[0.3, 0.1, 0.2]],
        Some(&[[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
        [true; 3],
        2.5,
    )
    .unwrap();
    assert_eq!(nl.len(), 6);
    assert!(nl.neighbors.iter().all(|&j| j == 0));
    // Mixed pbc with a tiny periodic direction.
    check(&pos, Some(cell), [true, false, false], 5.0);
}

#[test]
fn data_neighbors_from_frame_and_edge_cases() {
    let empty = NeighborList::build(&[], None, [false; 3], 3.0).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.first_edge, vec![0]);
    let f = Frame::new(vec![1, 1], vec![[0.0; 3], [0.0, 0.0, 0.74]]);
    let nl = NeighborList::from_frame(&f, 1.0).unwrap();
    assert_eq!(nl.centers, vec![0, 1]);
    assert_eq!(nl.neighbors, vec![1, 0]);
    // Far-apart atoms in a huge box do not make a huge number of bins.
    let far = vec![[0.0; 3], [1e6, 0.0, 0.0], [0.0, 1e6, 1e6]];
    assert!(NeighborList::build(&far, None, [false; 3], 1.0)
        .unwrap()
        .is_empty());
    // Errors, not panics.
    assert!(NeighborList::build(&far, None, [false; 3], 0.0).is_err());
    assert!(NeighborList::build(&far, None, [false; 3], f64::NAN).is_err());
    assert!(NeighborList::build(&far, None, [true; 3], 1.0).is_err());
    let flat = [[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
    assert!(NeighborList::build(&far, Some(&flat), [true; 3], 1.0).is_err());
    assert!(NeighborList::build(&[[f64::NAN, 0.0, 0.0]], None, [false; 3], 1.0).is_err());
}
