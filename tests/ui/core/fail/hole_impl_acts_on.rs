// Hole (rule 1): declaring that a nonlinearity may act on vectors. The rule
// traits are implemented by eqv alone.
use eqv::prelude::*;
use eqv::rules::ActsOn;

#[derive(Clone, Copy, Debug, Default)]
struct MyExp;
impl Activation for MyExp {
    type Symmetry = eqv::rules::r9_parity::NoSymmetry;
    const NAME: &'static str = "exp";
    const SECOND_MOMENT_SCALE: f64 = 1.0;
    fn eval<R: Real>(self, x: R) -> R {
        x.exp()
    }
}

impl ActsOn<Vector> for MyExp {
    type Out = Vector;
}

fn main() {}
