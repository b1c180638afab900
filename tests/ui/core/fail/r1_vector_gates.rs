// Rule 1: vectors as the gates of a gate. Gates pass through a
// nonlinearity, so they must be invariants.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>) -> Feat<'t, Vector> {
    let r = g.edge_vectors();
    gate(r, r, Sigmoid)
}

fn main() {
    let _ = f;
}
