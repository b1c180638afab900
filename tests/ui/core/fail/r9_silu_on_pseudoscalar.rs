// Rule 9: SiLU on a pseudoscalar (a triple product). SiLU is neither odd nor
// even, so silu(-x) is neither silu(x) nor -silu(x).
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let a = g.edge_vectors();
    let b = g.gather_centers(g.scatter_sum(g.edge_vectors()));
    let c = g.gather_neighbors(g.scatter_sum(g.edge_vectors()));
    let chirality: Feat<Pseudoscalar> = tensor_product::<_, _, Pseudoscalar, _>(a.cross(b), c);
    let _h = chirality.activate(Silu);
}

fn main() {
    let _ = model;
}
