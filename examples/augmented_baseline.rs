//! The tutorial's first approach, data augmentation: a plain MLP over the
//! raw x/y/z components of edge vectors, which is *not* rotation
//! equivariant and can only learn to be approximately so from randomly
//! rotated training data.
//!
//! **What it is.** Each edge vector's components `(x, y, z)/cutoff` go
//! through an MLP (the tutorial's code example 1), times a smooth radial
//! envelope, summed over neighbours; an MLP readout gives atomic energies
//! summed into the energy, forces `−∇E`.
//!
//! **Which approach.** The tutorial's first: any network, trained with
//! random rotations of the data — equivariant only approximately and only
//! as far as training got.
//!
//! **What eqv's types guarantee.** Nothing about rotations here — by
//! choice, and visibly: the only way to get the components of a `Vector` as
//! numbers to compute with is `eqv::non_equivariant::components` (writing
//! `r.components()` on a `Vector` does not compile, rule 5). Everything else
//! still holds: relative vectors only (translation, rule 6) and symmetric
//! sums (permutation, rule 7), so `check_equivariance` shows a large
//! rotation/reflection error and exact translation/permutation invariance.
//! The training comparison reuses this model from `eqv::zoo::augmented`.
//!
//! Run: `cargo run --release --example augmented_baseline`

use eqv::zoo::augmented;
#[path = "support/demo.rs"]
mod demo;

use augmented::{augmented_config, randomly_rotated, AugmentedBaseline};
use eqv::graph::Batch;
use eqv::prelude::*;

fn energy(model: &AugmentedBaseline, batch: &Batch) -> f64 {
    let tape = Tape::<f64>::new();
    let g = Graph::untracked(&tape, batch);
    model.forward(&g).feat().to_f64()[0]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch = demo::silicon_cluster_batch(4.0)?;

    let model = AugmentedBaseline::new(&augmented_config(1, 32, 4.0), 41);
    println!("{}", model.summary());

    // The same cluster, turned: an invariant energy would not change.
    let mut rng = Rng::new(5);
    let energies: Vec<f64> = (0..8)
        .map(|_| energy(&model, &randomly_rotated(&batch, &mut rng)))
        .collect();
    let mean = energies.iter().sum::<f64>() / energies.len() as f64;
    let spread = energies
        .iter()
        .map(|e| (e - mean).abs())
        .fold(0.0, f64::max);
    println!("energy of 8 random rotations of one cluster: {energies:.5?}");
    println!("largest deviation from their mean: {spread:.3e} (an invariant model: 0)\n");

    let report = model.check_equivariance(&batch, 1);
    println!("{report}");
    assert!(
        report.rotation > 1e-3,
        "the baseline should not be rotation equivariant: {}",
        report.rotation
    );
    assert!(
        report.translation < 1e-10 && report.permutation < 1e-10,
        "relative vectors and sums keep translations and permutations: {report}"
    );
    println!(
        "as designed: rotation error {:.2e} > 1e-3, translation and permutation exact",
        report.rotation
    );
    Ok(())
}
