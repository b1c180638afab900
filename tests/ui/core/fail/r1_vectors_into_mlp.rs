// Rule 1: edge vectors fed to an MLP. An MLP acts on each number
// separately; only invariants may go in.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>, mlp: &ScalarMlp<Silu>) -> Feat<'t, Scalar> {
    mlp.forward(g.edge_vectors())
}

fn main() {
    let _ = f;
}
