// Hole (rule 7): an index array written by hand singles out atom 0 as
// surely as `row(0)`. The equivariant reductions take only groupings the
// graph made (`g.atoms_to_structures()`, `g.edges_to_centers()`).
use eqv::prelude::*;

fn first_atom_apart<'t>(atomic: Feat<'t, Scalar>) -> Feat<'t, Scalar> {
    sum_rows_by(atomic, &[0, 1, 1])
}

fn main() {
    let _ = first_atom_apart;
}
