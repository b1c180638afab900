// Rule 1: a SiLU on an L = 2 feature built from two edge vectors.
use eqv::prelude::*;

fn quadrupole_features<'t>(graph: &Graph<'t>) -> Feat<'t, Tensor2e> {
    let r = graph.edge_vectors();
    let q = tensor_product::<_, _, Tensor2e, _>(r, r);
    q.activate(Silu)
}

fn main() {
    let _ = quadrupole_features;
}
