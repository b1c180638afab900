// Hole (rule 9): a bias on a Linear of vectors adds the same number to
// component x of every vector. `bias` is private; only `with_bias`, which
// requires scalars, makes one.
use eqv::prelude::*;

fn main() {
    let mut rng = Rng::new(0);
    let mut lin = Linear::<Vector, Vector>::new(4, 4, &mut rng);
    lin.bias = Some(Param::zeros(vec![4]));
}
