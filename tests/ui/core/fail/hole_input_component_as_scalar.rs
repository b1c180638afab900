// Hole (rule 5): read the x of every edge vector and feed it back as a
// Scalar. Raw numbers become features only through the Graph, ops, or the
// named opt-out `eqv::non_equivariant::input`.
use eqv::prelude::*;

fn x_coordinates<'t>(g: &Graph<'t>) -> Feat<'t, Scalar> {
    let r = g.edge_vectors().data();
    let x: Vec<f64> = r.chunks(3).map(|c| c[0]).collect();
    Feat::<Scalar>::input(g.tape(), g.num_edges(), 1, x)
}

fn main() {
    let _ = x_coordinates;
}
