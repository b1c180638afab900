// Rule 4: dividing by a vector. Only invariants divide.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>) -> Feat<'t, Vector> {
    let r = g.edge_vectors();
    let s = g.scatter_sum(r);
    g.gather_centers(s) / r
}

fn main() {
    let _ = f;
}
