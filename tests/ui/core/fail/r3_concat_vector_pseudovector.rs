// Rule 3: concatenating vector and pseudovector channels into one feature.
use eqv::prelude::*;

fn model(g: &Graph<'_>) {
    let v = g.edge_vectors().concat(g.edge_vectors()); // two Vector channels
    let p = g.edge_vectors().cross(g.gather_centers(g.scatter_sum(g.edge_vectors())));
    let _channels = v.concat(p);
}

fn main() {
    let _ = model;
}
