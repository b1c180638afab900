// Rule 7: "the energy of the first atom". Atom numbering is arbitrary.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let atomic_energies = g.scatter_sum(g.edge_vectors().norm());
    let _e0 = atomic_energies.row(0);
}

fn main() {
    let _ = model;
}
