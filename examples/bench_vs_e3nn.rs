//! eqv's side of the comparison with e3nn: the workloads of
//! `benches/support/kernels.rs` (channel-wise tensor product forward and
//! forward + backward, spherical harmonics, Linear, scatter-sum) in f32 and
//! f64, median of `--reps` calls after a warm-up, as JSON (milliseconds per
//! call) with the same keys as `tools/bench/e3nn_bench.py`.
//!
//! `tools/bench/compare.sh` runs both back to back and prints the table;
//! alone:
//!
//! ```text
//! cargo run --release --example bench_vs_e3nn -- --reps 15 --json eqv.json
//! ```
//!
//! eqv's kernels run on one thread (rayon parallelism is across structures
//! in training, not inside an op).

#[path = "../benches/support/kernels.rs"]
mod kernels;

use eqv::prelude::Real;
use kernels::*;
use std::hint::black_box;
use std::time::Instant;

/// Median milliseconds of `reps` calls of `run` on fresh inputs from `make`
/// (made before each timed call, not timed), after 2 warm-up calls.
fn timed<X>(reps: usize, make: impl Fn() -> X, run: impl Fn(X) -> f64) -> f64 {
    for _ in 0..2 {
        black_box(run(make()));
    }
    let mut ts: Vec<f64> = (0..reps)
        .map(|_| {
            let x = make();
            let start = Instant::now();
            black_box(run(x));
            1e3 * start.elapsed().as_secs_f64()
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    ts[ts.len() / 2]
}

fn bench<T: Real>(reps: usize) -> Vec<(&'static str, f64)> {
    vec![
        (
            "tp_fwd",
            timed(reps, || TpInputs::<T>::new(EDGES, 1), |x| x.run(false)),
        ),
        (
            "tp_fwd_bwd",
            timed(reps, || TpInputs::<T>::new(EDGES, 1), |x| x.run(true)),
        ),
        (
            "sh_l2",
            timed(reps, || ShInputs::<T>::new(EDGES, 2), |x| x.run(2)),
        ),
        (
            "sh_l3",
            timed(reps, || ShInputs::<T>::new(EDGES, 2), |x| x.run(3)),
        ),
        (
            "linear_0e",
            timed(
                reps,
                || LinearInputs::<T>::new(ATOMS_LINEAR, 3),
                |x| x.run(false),
            ),
        ),
        (
            "linear_1o",
            timed(
                reps,
                || LinearInputs::<T>::new(ATOMS_LINEAR, 3),
                |x| x.run(true),
            ),
        ),
        (
            "scatter",
            timed(
                reps,
                || ScatterInputs::<T>::new(EDGES, ATOMS_SCATTER, 4),
                |x| x.run(),
            ),
        ),
    ]
}

fn object(rows: &[(&str, f64)]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|(k, v)| format!("   \"{k}\": {v}"))
        .collect();
    format!("{{\n{}\n  }}", items.join(",\n"))
}

fn main() -> Result<(), String> {
    let mut reps = 15usize;
    let mut json: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => {
                reps = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&r| r > 0)
                    .ok_or("--reps needs a positive integer")?;
            }
            "--json" => json = Some(args.next().ok_or("--json needs a path")?),
            "-h" | "--help" => {
                println!("usage: bench_vs_e3nn [--reps N] [--json PATH]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let (f32s, f64s) = (bench::<f32>(reps), bench::<f64>(reps));
    let text = format!(
        "{{\n \"impl\": \"eqv\",\n \"threads\": 1,\n \"reps\": {reps},\n \"ms\": {{\n  \"f32\": {},\n  \"f64\": {}\n }}\n}}",
        object(&f32s),
        object(&f64s)
    );
    match json {
        Some(path) => std::fs::write(&path, text + "\n").map_err(|e| format!("{path}: {e}"))?,
        None => println!("{text}"),
    }
    Ok(())
}
