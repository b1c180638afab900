// The explicit opt-out compiles: reading components, absolute positions and
// single atoms is possible, but only through `eqv::non_equivariant`, so the
// code says by name which symmetry it gives up (e.g. a baseline trained with
// random rotations, the tutorial's first approach).
use eqv::graph::Batch;
use eqv::non_equivariant;
use eqv::prelude::*;

fn main() {
    let batch = Batch::from_positions(
        &[[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.5, 0.0]],
        &[0, 0, 0],
        2.0,
    )
    .unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);

    let xyz: Vec<Feat<Scalar>> = non_equivariant::components(g.edge_vectors()); // rule 5
    assert_eq!(xyz.len(), 3);
    let r: Feat<Vector> = non_equivariant::positions(&g); // rule 6
    assert_eq!(r.to_f64()[3], 1.0);
    let first: Feat<Vector> = non_equivariant::row(r, 0); // rule 7
    assert_eq!(first.rows(), 1);
    let flat = non_equivariant::flatten_rows(r); // rule 7
    assert_eq!((flat.rows(), flat.mul()), (1, 3));
    let back: Feat<Vector> = non_equivariant::assemble(&xyz);
    assert_eq!(back.to_f64(), g.edge_vectors().to_f64());

    // Components of a Scalar are invariants: no opt-out needed.
    let d = g.edge_vectors().norm();
    assert_eq!(d.components().len(), 1);
}
