//! EGNN (Satorras et al. 2021) written with `#[equivariant]`, run on a small
//! silicon cluster, with its equivariance checked numerically.
//!
//! **What it is.** Node scalars `h_i` exchange messages that are MLPs of
//! invariants only, `m_ij = φ_e(h_i, h_j, |r_ij|²)`; every atom is displaced
//! along its relative vectors by invariant weights,
//! `Δ_i = C Σ_j (x_i − x_j) φ_x(m_ij)`; node scalars get a residual update
//! from the summed messages. The energy is an MLP of the final scalars summed
//! over atoms (forces `−∇E`), and a second model (`EgnnForces`,
//! `output = Forces`) returns the accumulated displacement as a per-atom
//! `Vector`.
//!
//! **Which approach.** The tutorial's third: a vector network with a scalar
//! branch (any nonlinearity) and a vector branch (only linear combinations
//! with invariant coefficients).
//!
//! **What eqv's types guarantee.** `φ_x(m_ij)` is a `Scalar`, so
//! `edges.scale(..)` is the linearity rule itself; there is no way to put a
//! SiLU on `Δ` (rule 1) or to read absolute coordinates (rule 6 — which is
//! why the coordinate update is written with relative vectors,
//! `x_j' − x_i' = r_ij + Δ_j − Δ_i`); messages are combined by symmetric
//! sums only (rule 7); and `EgnnForces` must return a `Vector` per atom
//! (rule 8). The numerical check below is the evidence, not the guarantee.
//!
//! Run: `cargo run --release --example egnn`

#[path = "support/demo.rs"]
mod demo;
use eqv::zoo::egnn;

use egnn::{egnn_config, egnn_forces_config, Egnn, EgnnForces};
use eqv::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batch = demo::silicon_cluster_batch(4.0)?;

    let model = Egnn::new(&egnn_config(1, 16, 32, 3), 11);
    demo::show_energy_model(&model.summary(), &model, &batch);
    println!();

    let direct = EgnnForces::new(&egnn_forces_config(1, 16, 32, 3), 12);
    println!("{}", direct.summary());
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, &batch);
    let f = direct.forward(&g).feat().to_f64();
    println!(
        "direct vector output on atom 0: [{:+.6}, {:+.6}, {:+.6}]",
        f[0], f[1], f[2]
    );
    let report = direct.check_equivariance(&batch, 2);
    println!("{report}");
    assert!(report.max() < 1e-10, "equivariance error {}", report.max());
    Ok(())
}
