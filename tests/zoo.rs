//! The model zoo's equivariance: every example model, built with
//! `#[equivariant]`, checked numerically (random rotations, reflections,
//! translations, permutations; f64) on a small structure without distance
//! ties. The non-equivariant baseline is checked for what it gives up.

#[allow(dead_code)]
use eqv::zoo::augmented;
#[allow(dead_code)]
use eqv::zoo::egnn;
#[allow(dead_code)]
use eqv::zoo::local_frame;
#[allow(dead_code)]
use eqv::zoo::mace;
#[allow(dead_code)]
use eqv::zoo::painn;

use eqv::graph::Batch;

/// Six atoms, two species, all neighbour distances distinct.
fn molecule() -> Batch {
    let positions = [
        [0.0, 0.0, 0.0],
        [1.52, 0.11, -0.07],
        [-0.43, 1.61, 0.22],
        [0.31, -0.58, 1.74],
        [1.87, 1.45, 0.93],
        [-1.21, -0.94, -1.02],
    ];
    Batch::from_positions(&positions, &[0, 1, 0, 1, 0, 0], 3.5).expect("a valid molecule")
}

const TOL: f64 = 1e-10;

#[test]
fn egnn_energy_and_forces_are_equivariant() {
    let b = molecule();
    let r = egnn::Egnn::new(&egnn::egnn_config(2, 8, 16, 2), 1).check_equivariance(&b, 1);
    assert!(r.max() < TOL, "{r}");
    let r =
        egnn::EgnnForces::new(&egnn::egnn_forces_config(2, 8, 16, 2), 2).check_equivariance(&b, 2);
    assert!(r.max() < TOL, "{r}");
}

#[test]
fn painn_is_equivariant() {
    let r = painn::Painn::new(&painn::painn_config(2, 8, 6, 2, 3.5), 3)
        .check_equivariance(&molecule(), 3);
    assert!(r.max() < TOL, "{r}");
}

#[test]
fn mace_is_equivariant() {
    let r = mace::Mace::new(&mace::mace_config(2, 4, 2, 3.5), 4).check_equivariance(&molecule(), 4);
    assert!(r.max() < TOL, "{r}");
}

#[test]
fn local_frame_is_equivariant_away_from_ties() {
    let model = local_frame::LocalFrame::new(&local_frame::local_frame_config(16, 3.5), 5);
    let r = model.check_equivariance(&molecule(), 5);
    assert!(r.max() < TOL, "{r}");
}

#[test]
fn nearest_two_orders_by_length_then_edge() {
    let centers = [0, 0, 0, 1, 1, 2];
    let lengths = [2.0, 1.0, 1.5, 3.0, 3.0, 1.0];
    let pick = local_frame::nearest_two(4, &centers, &lengths);
    assert_eq!(
        pick,
        vec![
            [Some(1), Some(2)],
            [Some(3), Some(4)],
            [Some(5), None],
            [None, None]
        ]
    );
}

#[test]
fn augmented_baseline_breaks_only_rotations() {
    let model = augmented::AugmentedBaseline::new(&augmented::augmented_config(2, 16, 3.5), 6);
    let r = model.check_equivariance(&molecule(), 6);
    assert!(r.rotation > 1e-3 && r.reflection > 1e-3, "{r}");
    assert!(r.translation < TOL && r.permutation < TOL, "{r}");
}

#[test]
fn rotated_batches_rotate_positions_and_force_targets() {
    let b = molecule()
        .with_forces(vec![[1.0, 0.0, 0.0]; 6])
        .expect("forces");
    let quarter = nalgebra::Matrix3::new(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
    let r = b.rotated(&quarter);
    assert_eq!(r.positions()[1], [-0.11, 1.52, -0.07]);
    assert_eq!(r.forces().expect("forces")[0], [0.0, 1.0, 0.0]);
}
