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

#[path = "models/painn.rs"]
mod painn;

use eqv::classical::dataset::silicon_cluster;
use eqv::graph::{forces_from_energy, Batch};
use eqv::prelude::*;
use painn::{painn_config, Painn};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = silicon_cluster(5.431);
    let species = vec![0; cluster.positions.len()];
    let batch = Batch::from_positions(&cluster.positions, &species, 4.0)?;
    println!(
        "silicon cluster: {} atoms, {} edges (cutoff 4 Å)\n",
        batch.num_atoms(),
        batch.num_edges()
    );

    let model = Painn::new(&painn_config(1, 16, 8, 3, 4.0), 21);
    println!("{}", model.summary());
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let energy = model.forward(&g).0;
    let forces = forces_from_energy(&g, energy);
    println!("energy: {:.6}", energy.to_f64()[0]);
    println!("force on atom 0 (−∇E): {:+.6?}", forces[0]);
    let report = model.check_equivariance(&batch, 1);
    println!("{report}");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());
    Ok(())
}
