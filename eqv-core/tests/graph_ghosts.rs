//! Ghost atoms: full members of the graph whose per-atom terms
//! `sum_over_atoms` leaves out, so one rank of a domain decomposition
//! counts the energy of its own atoms and differentiates it with respect to
//! every position it read.

use eqv_core::graph::{energy_and_forces, Batch, Graph};
use eqv_core::prelude::*;

/// A chain of four atoms 1 Å apart; with a 1.5 Å cutoff each bond is two
/// directed edges.
fn chain() -> Batch {
    let p: Vec<[f64; 3]> = (0..4).map(|i| [i as f64, 0.1 * i as f64, 0.0]).collect();
    Batch::from_positions(&p, &[0; 4], 1.5).unwrap()
}

/// E = Σ_i e_i with e_i = Σ_{edges of i} |r_ij|², a sum of atomic terms.
fn energy<'t>(g: &Graph<'t, f64>) -> Feat<'t, Scalar, f64> {
    g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()))
}

#[test]
fn ghosts_are_left_out_of_the_sum_and_receive_forces() {
    let plain = chain();
    let ghosted = chain().with_ghosts(vec![false, false, true, true]).unwrap();
    let tape = Tape::<f64>::new();
    let all = energy_and_forces(
        &Graph::new(&tape, &plain),
        energy(&Graph::new(&tape, &plain)),
    );
    let tape2 = Tape::<f64>::new();
    let g = Graph::new(&tape2, &ghosted);
    let owned = energy_and_forces(&g, energy(&g));
    // Atom 0 has one bond, atom 1 two: the owned atoms hold 3 of the 6
    // directed edges, each |r|² = 1.01.
    assert!((all.energies[0] - 6.0 * 1.01).abs() < 1e-12);
    assert!((owned.energies[0] - 3.0 * 1.01).abs() < 1e-12);
    // Atom 2 is a ghost, but e_1 depends on it: it gets the force of that
    // bond. Atom 3 is a ghost that no owned atom sees: no force.
    let d = [1.0, 0.1, 0.0];
    for (a, &da) in d.iter().enumerate() {
        assert!(
            (owned.forces[2][a] + 2.0 * da).abs() < 1e-12,
            "{:?}",
            owned.forces
        );
        assert_eq!(owned.forces[3][a], 0.0);
    }
    // The forces still sum to zero: the owned energy is translation invariant.
    for a in 0..3 {
        let s: f64 = owned.forces.iter().map(|f| f[a]).sum();
        assert!(s.abs() < 1e-12);
    }
}

#[test]
fn ghost_flags_must_cover_every_atom_and_survive_concatenation() {
    assert!(chain().with_ghosts(vec![false; 3]).is_err());
    let b = Batch::concat(&[chain(), chain().with_ghosts(vec![true; 4]).unwrap()]);
    let expected: Vec<bool> = [false; 4].into_iter().chain([true; 4]).collect();
    assert_eq!(b.ghosts(), Some(expected.as_slice()));
    assert_eq!(chain().ghosts(), None);
}
