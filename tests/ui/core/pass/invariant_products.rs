// Legitimate forms a user of e3nn writes first: products and quotients by
// invariants, unit vectors, typed forces, per-structure values broadcast to
// atoms (the dipole Σ qᵢ (rᵢ − r̄)), the triple product, graph groupings.
use eqv::graph::Batch;
use eqv::prelude::*;

fn main() {
    let batch = Batch::from_positions(
        &[[0.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.1, 1.1, 0.2], [0.3, 0.2, 1.0]],
        &[0, 0, 1, 1],
        2.0,
    )
    .unwrap()
    .with_atom_scalars(1, vec![0.4, -0.2, -0.1, -0.1])
    .unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let r: Feat<Vector> = g.edge_vectors();
    let d: Feat<Scalar> = r.norm();
    let w: Feat<Scalar> = d.activate(Silu);
    let a: Feat<Vector> = w * r; // invariant times vector
    let b: Feat<Vector> = r * w; // vector times invariant
    let u: Feat<Vector> = r / r.norm(); // unit vectors
    let u2: Feat<Vector> = r.normalize(); // the same, zero-safe
    let half: Feat<Vector> = r * 0.5;
    let atom_vectors = g.scatter_sum(a + b + u + u2 + half);
    let chirality: Feat<Pseudoscalar> = atom_vectors.triple(g.scatter_sum(r), g.scatter_mean(u));
    // a pseudoscalar flips the parity
    let p: Feat<Pseudovector> = chirality * atom_vectors;
    let _ = p;
    // the dipole Σ qᵢ (rᵢ − r̄): centroid-relative positions, charges from the data
    let q = g.atom_scalars();
    let dipole: Feat<Vector> = g.sum_over_atoms(q * g.centered_positions());
    assert_eq!(dipole.rows(), 1); // one structure
    // per-structure values back on their atoms
    let mean_d = g.mean_over_atoms(g.scatter_mean(d));
    let relative: Feat<Scalar> = g.scatter_mean(d) - g.broadcast_to_atoms(mean_d);
    let _ = sum_rows_by(relative, &g.atoms_to_structures());
    // a max over neighbours of invariants
    let nearest: Feat<Scalar> = g.scatter_max(d.scale_by(-1.0));
    assert_eq!(nearest.rows(), 4);
    // typed forces
    let energy = g.sum_over_atoms(g.scatter_sum(d.activate(Softplus)));
    let forces: Forces = Forces::from_energy(&g, energy);
    let net = g.sum_over_atoms(forces.feat());
    assert!(net.norm().to_f64().iter().all(|x| x.abs() < 1e-12));
}
