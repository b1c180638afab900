//! The tutorial's approaches side by side on the same data (generated
//! Stillinger–Weber silicon, or `--data`), each trained with the same time
//! budget:
//!
//! 1. **NequIP-like** (tensor-field network, approach 4), declared with
//!    `#[equivariant]`: exactly equivariant, sees angles; with node
//!    features of l ≤ 1 and, second, of l ≤ 2;
//! 2. **distance-only** invariant energy with gradient forces (approach 2):
//!    exactly equivariant, blind to angles;
//! 3. **non-equivariant MLP on raw edge components** trained with random
//!    rotations of the data (approach 1), written with the explicit opt-out.
//!
//! Prints one Markdown table (test metrics, measured equivariance
//! error, training time) — the table in the README.
//!
//! ```text
//! cargo run --release --example compare_approaches -- --max-minutes 3
//! ```

use eqv::data::Frame;
use eqv::rng::Rng;
use eqv::zoo::augmented;
use eqv::zoo::distance;
use eqv_cli::models;
use eqv_cli::options::Args;
use eqv_cli::train as run;
use std::process::ExitCode;

fn rotate_frame(f: &Frame, rng: &mut Rng) -> Frame {
    f.rotated(&eqv::so3::random_rotation(rng))
}

fn main() -> ExitCode {
    match run_all() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_all() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse(
        "compare_approaches",
        "Train the tutorial's approaches on the same data and compare them.",
        run::OPTIONS,
    );
    let mut rows = Vec::new();

    // The main job's architectures, trained as the tool trains them (the
    // same sizes and checkpoints that `eqv::zoo::load` reads back; the
    // trainer for them is compiled in eqv-cli, not again here).
    let nequip = models::train_architecture(&args, "nequip", "target/compare/nequip", None)?;
    rows.push(("NequIP-like (tensor products, `#[equivariant]`)", nequip));

    // The same with rank-2 node features: angles reach the next layer as
    // 2e features, not only through vectors.
    let nequip_l2 =
        models::train_architecture(&args, "nequip-l2", "target/compare/nequip_l2", None)?;
    rows.push((
        "NequIP-like with 2e node features (`--model nequip-l2`)",
        nequip_l2,
    ));

    let pair = run::run(&args, "PairPotential", "target/compare/distance", |s| {
        let cfg = distance::PairPotentialConfig {
            species: s.species,
            cutoff: s.cutoff,
            scale: s.force_rms,
            ..Default::default()
        };
        Ok((
            distance::PairPotential::new(&cfg, 0),
            serde_json::json!({"hidden": cfg.hidden}),
        ))
    })?;
    rows.push(("distance-only invariant energy, forces = −∇E", pair));

    // Approach 1: the same data in several random orientations.
    let copies = 4;
    let aug = run::run_augmented(
        &args,
        copies,
        rotate_frame,
        "AugmentedBaseline",
        "target/compare/augmented",
        |s| {
            let cfg = augmented::augmented_config(s.species, 32, s.cutoff);
            Ok((
                augmented::AugmentedBaseline::new(&cfg, 0),
                serde_json::json!({"hidden": 32}),
            ))
        },
    )?;
    rows.push(("MLP on raw x/y/z + rotation augmentation (×4)", aug));

    println!("\n| model | parameters | test E MAE (meV/atom) | test F MAE (meV/Å) | test F RMSE (meV/Å) | equivariance error | training time (s) |");
    println!("|---|---|---|---|---|---|---|");
    for (label, r) in rows {
        // Test metrics: frames no choice of the run ever saw.
        let v = r
            .test_metrics
            .as_ref()
            .ok_or("no test set: give --test or a --test-fraction above 0")?;
        let eq = r
            .outcome
            .equivariance
            .as_ref()
            .map_or(f64::NAN, |e| e.max());
        println!(
            "| {label} | {} | {:.1} | {:.1} | {:.1} | {:.1e} | {:.0} |",
            r.outcome.n_parameters,
            v.energy_mae_mev_per_atom,
            v.force_mae_mev_per_a,
            v.force_rmse_mev_per_a,
            eq,
            r.outcome.train_seconds
        );
    }
    Ok(())
}
