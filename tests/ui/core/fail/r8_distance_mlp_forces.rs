// Rule 8 — the tutorial's second code example, "a distance MLP predicts
// forces": Linear(1, 128) -> ReLU -> Linear(128, 3) on pair distances, mean
// over neighbours, declared as forces. Its three outputs are invariants: when
// the molecule turns, the "forces" stay put.
use eqv::prelude::*;

fn forces<'t>(
    graph: &Graph<'t>,
    hidden: &Linear<Scalar, Scalar>,
    out: &Linear<Scalar, Scalar>,
) -> Forces<'t> {
    let d = graph.edge_vectors().norm(); // 1 channel per edge
    let h = hidden.forward(d).activate(Relu); // 128 channels
    let per_edge = out.forward(h); // 3 channels: "fx, fy, fz"
    let per_atom = graph.scatter_mean(per_edge);
    Forces::from_feat(per_atom)
}

fn main() {
    let _ = forces;
}
