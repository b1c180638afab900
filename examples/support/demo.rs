//! What the zoo examples share: a small silicon cluster to run a model on,
//! and the report of an energy model on it.

// Each example uses the part of this module it needs.
#![allow(dead_code)]

use eqv::classical::dataset::silicon_cluster;
use eqv::equivariance::{check_model_equivariance, EquivarianceReport};
use eqv::graph::{forces_from_energy, Batch, Graph};
use eqv::model::{kind, Model};
use eqv::tape::Tape;

/// The 29-atom silicon cluster cut from diamond Si (one species), with
/// edges within `cutoff` Å.
pub fn silicon_cluster_batch(cutoff: f64) -> Result<Batch, eqv::data::DataError> {
    let cluster = silicon_cluster(5.431);
    let species = vec![0; cluster.positions.len()];
    let batch = Batch::from_positions(&cluster.positions, &species, cutoff)?;
    println!(
        "silicon cluster: {} atoms, {} edges (cutoff {cutoff} Å)\n",
        batch.num_atoms(),
        batch.num_edges()
    );
    Ok(batch)
}

/// Prints an energy model's summary, its energy and the force `−∇E` on
/// atom 0, and its measured equivariance (asserted ≤ 1e-10).
pub fn show_energy_model<M: Model<Output = kind::Energy>>(
    summary: &str,
    model: &M,
    batch: &Batch,
) -> EquivarianceReport {
    println!("{summary}");
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, batch);
    let energy = model.output(&g);
    let forces = forces_from_energy(&g, energy);
    println!("energy: {:.6}", energy.to_f64()[0]);
    println!("force on atom 0 (−∇E): {:+.6?}", forces[0]);
    let report = check_model_equivariance(model, batch, 1);
    println!("{report}");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());
    report
}
