// Rule 1: a max over neighbours of vectors: the max of each component
// depends on the axes.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>) -> Feat<'t, Scalar> {
    g.scatter_max(g.edge_vectors())
}

fn main() {
    let _ = f;
}
