//! eqv against e3nn on this machine, as ratios: `cargo bench --bench vs_e3nn`.
//!
//! The comparison itself is `tools/bench/compare.sh` (the workloads of issue
//! 7, eqv and e3nn alternated in one run, e3nn on one torch thread, with the
//! machine's FMA peak, the fully connected product's fraction of it, and
//! the load average). This bench is its `cargo bench` entry point. e3nn is
//! Python and never a dependency of eqv: without an importable e3nn (at
//! `$E3NN_PYTHON` or `/tmp/e3nn-venv/bin/python`) the bench prints how to
//! set one up and measures nothing, so `cargo bench` still succeeds.
//!
//! `ROUNDS`, `REPS` and `BUDGET` pass through to the script (default here:
//! one round).

use std::path::Path;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python =
        std::env::var("E3NN_PYTHON").unwrap_or_else(|_| "/tmp/e3nn-venv/bin/python".into());
    let importable = Command::new(&python)
        .args(["-c", "import e3nn, torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !importable {
        println!(
            "vs_e3nn: e3nn and torch are not importable with {python}; nothing measured.\n\
             Set up once (CPU wheels from PyPI, outside eqv's dependencies):\n  \
             python3 -m venv /tmp/e3nn-venv && /tmp/e3nn-venv/bin/pip install e3nn torch"
        );
        return ExitCode::SUCCESS;
    }
    let rounds = std::env::var("ROUNDS").unwrap_or_else(|_| "1".into());
    let status = Command::new("bash")
        .arg(root.join("tools/bench/compare.sh"))
        .env("E3NN_PYTHON", &python)
        .env("ROUNDS", rounds)
        .current_dir(root)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("vs_e3nn: tools/bench/compare.sh failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("vs_e3nn: cannot run bash: {e}");
            ExitCode::FAILURE
        }
    }
}
