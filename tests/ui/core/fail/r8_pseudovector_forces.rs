// Rule 8: a pseudovector declared as forces. It rotates like a force, but a
// mirror image flips forces and leaves pseudovectors alone.
use eqv::prelude::*;

fn forces<'t>(graph: &Graph<'t>, a: Feat<'t, Vector>, b: Feat<'t, Vector>) -> Forces<'t> {
    let _ = graph;
    let torque_like = a.cross(b);
    Forces::from_feat(torque_like)
}

fn main() {
    let _ = forces;
}
