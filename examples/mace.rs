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

#[path = "support/demo.rs"]
mod demo;
use eqv::zoo::mace;

use mace::{mace_config, Mace};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch = demo::silicon_cluster_batch(4.0)?;

    let model = Mace::new(&mace_config(1, 8, 2, 4.0), 31);
    demo::show_energy_model(&model.summary(), &model, &batch);
    Ok(())
}
