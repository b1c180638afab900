//! A TFN/NequIP interaction block written with `#[equivariant]`: spherical
//! harmonics of edge vectors, a channel-wise tensor product whose weights
//! come from a radial MLP on a Bessel basis, scatter-sum, linear, gate and
//! residual — run on a small generated silicon cluster, with its
//! equivariance checked numerically.
//!
//! Run: `cargo run --release --example nequip_block`

#[path = "support/demo.rs"]
mod demo;
use eqv::zoo::nequip;

use nequip::{nequip_config, Nequip};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch = demo::silicon_cluster_batch(4.0)?;
    let model = Nequip::new(&nequip_config(1, 16, 8, 2, 4.0), 7);
    demo::show_energy_model(&model.summary(), &model, &batch);
    Ok(())
}
