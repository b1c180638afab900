// Rule 1: a ReLU on a vector. Rotating the vector mixes x, y and z, and a
// nonlinearity applied to each component does not commute with that mixing.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let v = g.edge_vectors();
    let _h = v.activate(Relu);
}

fn main() {
    let _ = model;
}
