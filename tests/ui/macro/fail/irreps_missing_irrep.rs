// An irreps literal cut short: `"16x"` names a multiplicity but no irrep.
use eqv::equivariant;

#[equivariant(config(channels = 16))]
pub struct Embedding {
    embed: SpeciesEmbedding<4, "16x">,
}

fn main() {}
