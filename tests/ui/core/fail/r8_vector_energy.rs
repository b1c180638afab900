// Rule 8: a vector (the sum of edge vectors) declared as an energy.
use eqv::prelude::*;

fn energy<'t>(graph: &Graph<'t>) -> Energy<'t> {
    let per_atom = graph.scatter_sum(graph.edge_vectors());
    Energy::from_feat(graph.sum_over_atoms(per_atom))
}

fn main() {
    let _ = energy;
}
