//! The hot kernels of a NequIP-like model at realistic sizes (see
//! `benches/support/kernels.rs` for the exact shapes): the channel-wise
//! tensor product (forward, and forward + backward to inputs, harmonics and
//! weights), spherical harmonics up to degree 2 and 3, Linear 32 → 32, and
//! the scatter-sum of edge messages onto atoms, in f32 and f64.
//!
//! ```text
//! cargo bench --bench ops
//! ```
//!
//! The same workloads are timed against e3nn by `tools/bench/compare.sh`.

#[path = "support/kernels.rs"]
mod kernels;

use criterion::measurement::WallTime;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use eqv::prelude::Real;
use kernels::*;
use std::time::Duration;

fn config<'c>(c: &'c mut Criterion, name: &str) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g
}

fn per_type<T: Real>(c: &mut Criterion, ty: &str) {
    let mut g = config(c, &format!("tp_uvu_20k_{ty}"));
    g.bench_function("forward", |b| {
        b.iter_batched(
            || TpInputs::<T>::new(EDGES, 1),
            |x| black_box(x.run(false)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("forward_backward", |b| {
        b.iter_batched(
            || TpInputs::<T>::new(EDGES, 1),
            |x| black_box(x.run(true)),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = config(c, &format!("sh_20k_{ty}"));
    for lmax in [2, 3] {
        g.bench_function(format!("lmax{lmax}"), |b| {
            b.iter_batched(
                || ShInputs::<T>::new(EDGES, 2),
                |x| black_box(x.run(lmax)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let mut g = config(c, &format!("linear_32_2k_{ty}"));
    for (name, vectors) in [("32x0e", false), ("32x1o", true)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || LinearInputs::<T>::new(ATOMS_LINEAR, 3),
                |x| black_box(x.run(vectors)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    let mut g = config(c, &format!("scatter_sum_20k_to_1200_{ty}"));
    g.bench_function("40x0e+48x1o", |b| {
        b.iter_batched(
            || ScatterInputs::<T>::new(EDGES, ATOMS_SCATTER, 4),
            |x| black_box(x.run()),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_ops(c: &mut Criterion) {
    per_type::<f32>(c, "f32");
    per_type::<f64>(c, "f64");
}

criterion_group!(benches, bench_ops);
criterion_main!(benches);
