//! A TFN/NequIP interaction block written with `#[equivariant]`: spherical
//! harmonics of edge vectors, a channel-wise tensor product whose weights
//! come from a radial MLP on a Bessel basis, scatter-sum, linear, gate and
//! residual — run on a small generated silicon cluster, with its
//! equivariance checked numerically.
//!
//! Run: `cargo run --release --example nequip_block`

#[path = "models/nequip.rs"]
mod nequip;

use eqv::classical::dataset::silicon_cluster;
use eqv::graph::Batch;
use nequip::{nequip_config, Nequip};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cluster = silicon_cluster(5.431);
    let species = vec![0; cluster.positions.len()];
    let batch = Batch::from_positions(&cluster.positions, &species, 4.0)?;
    let model = Nequip::new(&nequip_config(1, 16, 8, 2, 4.0), 7);
    println!("{}", model.summary());
    let report = model.check_equivariance(&batch, 3);
    println!("{} atoms, {} edges", batch.num_atoms(), batch.num_edges());
    println!("{report}");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());
    Ok(())
}
