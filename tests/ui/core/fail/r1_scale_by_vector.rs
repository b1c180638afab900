// Rule 1: scaling a vector by a vector, as if it were an invariant.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>) -> Feat<'t, Vector> {
    let r = g.edge_vectors();
    r.scale(r)
}

fn main() {
    let _ = f;
}
