// Rule 4: `*` between two vectors. Their product is a tensor product whose
// output (Scalar, Pseudovector, Tensor2e) is a modelling choice.
use eqv::prelude::*;

fn f<'t>(g: &Graph<'t>) -> Feat<'t, Vector> {
    let r = g.edge_vectors();
    r * r
}

fn main() {
    let _ = f;
}
