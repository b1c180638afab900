// Every size a config entry: multiplicities `{name}x..` in irreps literals,
// MLP widths, the number of species and basis functions, the cutoff. The
// same declaration builds networks of several sizes at run time.
use eqv::equivariant;
use eqv::prelude::*;

#[equivariant(config(
    species = 3,
    scalars = 16,
    vectors = 8,
    tensors = 4,
    n_basis = 8,
    width = 32,
    cutoff = 5.0
))]
pub struct Sized {
    embed: SpeciesEmbedding<{ species }, "{scalars}x0e">,
    radial: Bessel<{ n_basis }, { cutoff }>,
    mlp: Mlp<{ n_basis }, { width }, { width }, { scalars }, Silu>,
    mix: Linear<
        "{scalars}x0e + {vectors}x1o + {tensors}x2e",
        "{vectors}x0e + {vectors}x1o + {tensors}x2e",
    >,
    tp: FullTp<"{vectors}x1o", "1x1o", "{scalars}x0e + {tensors}x2e">,
}

fn main() {
    let small = Sized::new(
        &SizedConfig {
            scalars: 4,
            vectors: 2,
            tensors: 1,
            width: 8,
            ..Default::default()
        },
        0,
    );
    let large = Sized::new(&SizedConfig::default(), 0);
    assert!(small.num_params() < large.num_params());
    assert_eq!(small.config().scalars, 4);
    assert!(large.summary().contains("16x0e"), "{}", large.summary());
}
