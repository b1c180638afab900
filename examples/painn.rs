//! A PaiNN-style vector network (Schütt et al. 2021) written with
//! `#[equivariant]`, run on a small silicon cluster, with its equivariance
//! checked numerically.
//!
//! **What it is.** Every atom carries scalar channels `s` and vector
//! channels `v`. The message block sends neighbour scalars through an MLP,
//! multiplies them by a radial filter, and uses the result three ways:
//! scalar messages, scalings of the neighbours' vectors, and scalings of the
//! edge direction `r̂_ij`. The update block mixes vector channels linearly
//! (`U v`, `V v`), turns them into invariants (`|V v|`, `⟨U v, V v⟩`), and
//! feeds those back into both branches. The energy is an MLP of the scalars.
//!
//! **Which approach.** The tutorial's third: a vector network with a scalar
//! and a vector branch (EGNN, PaiNN, equivariant transformers).
//!
//! **What eqv's types guarantee.** Vectors are only ever scaled by `Scalar`
//! features (`scale`, a `0e ⊗ 1o` product), added to vectors (rule 3), or
//! mixed channel by channel with `Linear<Vector, Vector>` (rule 2); they
//! become invariants only through `norm` and `dot` (scalarisation). A SiLU
//! on `v`, a bias on `U v`, or `s + v` would not compile. The numerical
//! check below is the evidence, not the guarantee.
//!
//! Run: `cargo run --release --example painn`

#[path = "support/demo.rs"]
mod demo;
use eqv::zoo::painn;

use painn::{painn_config, Painn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch = demo::silicon_cluster_batch(4.0)?;

    let model = Painn::new(&painn_config(1, 16, 8, 3, 4.0), 21);
    demo::show_energy_model(&model.summary(), &model, &batch);
    Ok(())
}
