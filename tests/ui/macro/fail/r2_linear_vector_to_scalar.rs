// Rule 2 — the "vector -> scalar readout": `Linear<"16x1o", "16x0e">`. An
// equivariant linear map between different irreps is zero (Schur).
use eqv::equivariant;

#[equivariant]
pub struct Readout {
    readout: Linear<"16x1o", "16x0e">,
}

fn main() {}
