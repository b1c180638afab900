//! Batching frames: `Batch::from_frames` uses the data layer's neighbour
//! lists and species map, keeps targets, and reports bad input as errors.

use eqv_core::data::{Frame, SpeciesMap};
use eqv_core::graph::{Batch, Graph};
use eqv_core::prelude::*;

fn frames() -> Vec<Frame> {
    let mut water = Frame::new(
        vec![8, 1, 1],
        vec![[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]],
    );
    water.energy = Some(-14.2);
    water.forces = Some(vec![
        [0.1, 0.0, 0.0],
        [-0.05, 0.02, 0.0],
        [-0.05, -0.02, 0.0],
    ]);
    let cell = [[2.7, 0.0, 0.0], [0.0, 2.7, 0.0], [0.0, 0.0, 2.7]];
    let mut crystal = Frame::periodic(vec![14, 8], vec![[0.0; 3], [1.35, 1.35, 1.35]], cell);
    crystal.energy = Some(-20.5);
    crystal.forces = Some(vec![[0.0; 3]; 2]);
    vec![water, crystal]
}

#[test]
fn frames_are_batched_with_species_edges_and_targets() {
    let fr = frames();
    let species = SpeciesMap::from_frames(&fr);
    let b = Batch::from_frames(&fr, 2.5, &species).unwrap();
    assert_eq!((b.num_atoms(), b.num_structures()), (5, 2));
    assert_eq!(b.atom_structure(), &[0, 0, 0, 1, 1]);
    assert_eq!(b.energies(), Some(&[-14.2, -20.5][..]));
    assert_eq!(b.forces().unwrap()[0], [0.1, 0.0, 0.0]);
    let z: Vec<u8> = b
        .species()
        .iter()
        .map(|&s| species.number(s).unwrap())
        .collect();
    assert_eq!(z, vec![8, 1, 1, 14, 8]);
    // Each frame's edges are those of its own structure, offset.
    let alone = Batch::from_structure(
        &fr[1].positions,
        &species.indices(&fr[1]).unwrap(),
        fr[1].cell.as_ref(),
        fr[1].pbc,
        2.5,
    )
    .unwrap();
    let water =
        Batch::from_positions(&fr[0].positions, &species.indices(&fr[0]).unwrap(), 2.5).unwrap();
    assert_eq!(b.num_edges(), water.num_edges() + alone.num_edges());
    assert!(b.centers()[water.num_edges()..].iter().all(|&i| i >= 3));
    // The periodic crystal sees images: Si–O at √3·1.35 ≈ 2.34 Å, 8 images each way.
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &b);
    let d = g.edge_vectors().norm().to_f64();
    assert!(d.iter().all(|&d| d > 0.5 && d < 2.5));
    assert_eq!(alone.num_edges(), 16);
}

#[test]
fn missing_targets_or_species_are_reported() {
    let mut fr = frames();
    fr[1].energy = None;
    let species = SpeciesMap::from_frames(&fr);
    let b = Batch::from_frames(&fr, 2.5, &species).unwrap();
    assert!(b.energies().is_none() && b.forces().is_some());
    let only_water = SpeciesMap::from_frames(&fr[..1]);
    assert!(Batch::from_frames(&fr, 2.5, &only_water).is_err());
    assert!(Batch::from_frames(&fr, -1.0, &species).is_err());
    let mut bad = frames();
    bad[0].positions[1][0] = f64::NAN;
    assert!(Batch::from_frames(&bad, 2.5, &species).is_err());
}
