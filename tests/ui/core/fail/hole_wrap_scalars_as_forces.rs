// Hole (rule 8): the tutorial's "distance MLP predicts forces" in two
// lines — retype three invariants as a Vector. `Feat::wrap` is not public
// API: retyping a node is the promise of `eqv::authoring`, for implementers
// of ops.
use eqv::prelude::*;

fn forces<'t>(g: &Graph<'t>, mlp: &Linear<Scalar, Scalar>) -> Forces<'t> {
    let three = g.scatter_mean(mlp.forward(g.edge_vectors().norm()));
    let v = Feat::<Vector>::wrap(g.tape(), three.id(), three.rows(), 1);
    Forces::from_feat(v)
}

fn main() {
    let _ = forces;
}
