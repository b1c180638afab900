// Rule 7: concatenating all atoms into one long row to feed an MLP.
use eqv::prelude::*;

fn energy<'t>(atom_features: Feat<'t, Scalar>, mlp: &Linear<Scalar, Scalar>) -> Feat<'t, Scalar> {
    let one_long_row = atom_features.flatten_rows();
    mlp.forward(one_long_row)
}

fn main() {
    let _ = energy;
}
