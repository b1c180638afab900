//! A MACE-style higher-order potential written with `#[equivariant]`, run
//! on a small silicon cluster, with its equivariance checked numerically.
//!
//! **What it is.** Each layer builds the one-particle basis
//! `A_i = Σ_j R(|r_ij|) h_j ⊗ Y(r̂_ij)` (a channel-wise tensor product with
//! radial weights, summed over neighbours), then the product basis by
//! iterated Clebsch-Gordan products on each atom, `B2 = A ⊗ A` and
//! `B3 = B2 ⊗ A` (correlation order 3: four-body terms from one layer of
//! two-body sums), and mixes orders 1–3 into the new node features. No
//! activation is needed inside the layer: the products are the nonlinearity.
//!
//! **Which approach.** The tutorial's fourth: tensor-field networks on
//! spherical-harmonic features coupled by Clebsch-Gordan products (TFN,
//! NequIP, MACE, Equiformer).
//!
//! **What eqv's types guarantee.** Every feature's irrep is in its type
//! (`Feat<Tensor2e>`, ...). Each product names its output irrep and
//! compiles only if the selection rule `|l1−l2| ≤ l3 ≤ l1+l2` and the parity
//! rule `p3 = p1·p2` allow it (rule 4): `1o ⊗ 1o → 1o` is an error, not a
//! silent zero. The `Linear` layers mix channels within one irrep (rule 2),
//! and the macro checks the declared irreps strings before any code exists.
//!
//! Run: `cargo run --release --example mace`

#[path = "models/mace.rs"]
mod mace;

use eqv::classical::dataset::silicon_cluster;
use eqv::graph::{forces_from_energy, Batch};
use eqv::prelude::*;
use mace::{mace_config, Mace};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = silicon_cluster(5.431);
    let species = vec![0; cluster.positions.len()];
    let batch = Batch::from_positions(&cluster.positions, &species, 4.0)?;
    println!(
        "silicon cluster: {} atoms, {} edges (cutoff 4 Å)\n",
        batch.num_atoms(),
        batch.num_edges()
    );

    let model = Mace::new(&mace_config(1, 8, 2, 4.0), 31);
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
