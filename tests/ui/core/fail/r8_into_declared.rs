// Rule 8 through `into_declared` (what `#[equivariant(output = Forces)]`
// calls on the value `forward` returns): invariants declared as forces.
use eqv::model::{into_declared, kind};
use eqv::prelude::*;

fn forces<'t>(graph: &Graph<'t>, out: &Linear<Scalar, Scalar>) -> Feat<'t, Vector> {
    let d = graph.edge_vectors().norm();
    let per_atom = graph.scatter_mean(out.forward(d));
    into_declared::<kind::Forces, _, _>(per_atom)
}

fn main() {
    let _ = forces;
}
