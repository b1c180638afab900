// Rule 6 — the tutorial's first code example via absolute positions: an
// MLP that reads where the atoms are. Translating the molecule changes the
// positions but must not change the forces.
use eqv::prelude::*;

fn forces<'t>(graph: &Graph<'t>, layers: &[Linear<Vector, Vector>; 2]) -> Forces<'t> {
    let r = graph.positions();
    let h = layers[1].forward(layers[0].forward(r));
    Forces::from_feat(h)
}

fn main() {
    let _ = forces;
}
