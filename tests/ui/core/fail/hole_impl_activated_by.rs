// Hole (rule 1): the irrep-side form of the rule, implemented for a type
// that is not even an activation, so that generated `Activation` layers
// would call it. Sealed like `ActsOn`.
use eqv::prelude::*;
use eqv::rules::ActivatedBy;

#[derive(Clone, Copy, Debug, Default)]
struct NotAnActivation;

impl ActivatedBy<NotAnActivation> for Vector {
    type Out = Vector;
    fn activate_by<'t, T: Real>(x: Feat<'t, Vector, T>, _: NotAnActivation) -> Feat<'t, Vector, T> {
        x
    }
}

fn main() {}
