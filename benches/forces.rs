//! What forces and force training cost relative to the energy alone.
//!
//! The two models of `train_potential` at its sizes — the MACE-style
//! potential of `eqv::zoo::mace` (its default: 8 channels of 0e + 1o, two
//! layers, correlation order 3) and the NequIP-like one of
//! `eqv::zoo::nequip` (16 scalar and 8 vector channels, 2 interaction
//! blocks), 8 Bessel functions each — on periodic diamond silicon, 64 and
//! 216 atoms, cutoff 4 Å (16 neighbours per atom), positions rattled by
//! 0.05 Å and labelled with the Stillinger–Weber potential:
//!
//! * `energy_f64`: forward only, positions untracked (`Graph::untracked`);
//! * `energy_forces_f64`: forward + one backward (`Graph::new` +
//!   `forces_from_energy`);
//! * `train_grad_f64`: the parameter gradient of an energy + force MSE loss
//!   (`energy_force_gradient`: an f64 forward + backward, then a forward +
//!   backward in dual numbers);
//! * `train_grad_f32`: the same gradient with both passes in f32 and
//!   `Dual<f32>` (`loss_gradient` with `Precision::F32`, what `eqv train`
//!   runs by default);
//! * `energy_f32`: forward only in f32.
//!
//! Criterion reports each time. Because a loaded machine drifts between
//! criterion's groups, the bench also measures the four variants
//! *interleaved* (a, b, c, d, a, b, c, d, …) and prints the ratios of the
//! medians: the numbers to quote.
//!
//! ```text
//! cargo bench --bench forces
//! ```

use eqv::zoo::{mace, nequip};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use eqv::classical::{diamond_silicon, StillingerWeber};
use eqv::data::SpeciesMap;
use eqv::graph::{
    forces_from_energy, loss_gradient, Batch, EnergyModel, Graph, Loss, LossWeights, Precision,
};
use eqv::param::Parameters;
use eqv::prelude::*;
use mace::{mace_config, Mace};
use nequip::{nequip_config, Nequip};
use std::time::{Duration, Instant};

const CUTOFF: f64 = 4.0;

/// `r`×`r`×`r` conventional cells of diamond silicon, rattled, SW-labelled.
fn silicon(r: usize) -> Batch {
    let mut frame = diamond_silicon(5.431, [r, r, r]);
    let mut rng = Rng::new(r as u64);
    for p in &mut frame.positions {
        for x in p.iter_mut() {
            *x += 0.05 * rng.normal();
        }
    }
    let frame = StillingerWeber::silicon()
        .label(&frame)
        .expect("SW labels silicon");
    let species = SpeciesMap::from_frames(std::slice::from_ref(&frame));
    Batch::from_frames(&[frame], CUTOFF, &species).expect("a valid batch")
}

fn nequip_model() -> Nequip {
    Nequip::new(&nequip_config(1, 16, 8, 2, CUTOFF), 0)
}

fn mace_model() -> Mace {
    Mace::new(&mace_config(1, 8, 2, CUTOFF), 0)
}

fn energy_f64<M: EnergyModel>(m: &M, b: &Batch) -> f64 {
    let tape = Tape::<f64>::inference();
    let g = Graph::untracked(&tape, b);
    m.energy(&g).data()[0]
}

fn energy_f32<M: EnergyModel>(m: &M, b: &Batch) -> f32 {
    let tape = Tape::<f32>::inference();
    let g = Graph::untracked(&tape, b);
    m.energy(&g).data()[0]
}

fn energy_forces_f64<M: EnergyModel>(m: &M, b: &Batch) -> (f64, Vec<[f64; 3]>) {
    let tape = Tape::<f64>::inference();
    let g = Graph::new(&tape, b);
    let e = m.energy(&g);
    let value = e.data()[0];
    (value, forces_from_energy(&g, e))
}

fn train_grad<M: EnergyModel + Parameters>(m: &M, b: &Batch, precision: Precision) -> f64 {
    let weights = LossWeights {
        energy: 1.0,
        forces: 1.0,
        stress: 0.0,
    };
    let loss = Loss::of_batch(weights, b).expect("labelled batch");
    let out = loss_gradient(m, b, precision, false, |e, f, _| loss.terms(b, e, f, &[]));
    out.loss + out.grads[0].1[0]
}

type Variant<M> = (&'static str, fn(&M, &Batch));

fn variants<M: EnergyModel + Parameters>() -> [Variant<M>; 5] {
    [
        ("energy_f64", |m, b| {
            black_box(energy_f64(m, b));
        }),
        ("energy_forces_f64", |m, b| {
            black_box(energy_forces_f64(m, b));
        }),
        ("train_grad_f64", |m, b| {
            black_box(train_grad(m, b, Precision::F64));
        }),
        ("train_grad_f32", |m, b| {
            black_box(train_grad(m, b, Precision::F32));
        }),
        ("energy_f32", |m, b| {
            black_box(energy_f32(m, b));
        }),
    ]
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Runs the variants interleaved and prints the ratios of the medians to the
/// f64 energy.
fn interleaved_ratios<M: EnergyModel + Parameters>(label: &str, m: &M, b: &Batch, rounds: usize) {
    let variants = variants::<M>();
    let mut times = vec![Vec::with_capacity(rounds); variants.len()];
    for (_, f) in &variants {
        f(m, b); // warm-up
    }
    for _ in 0..rounds {
        for (k, (_, f)) in variants.iter().enumerate() {
            let start = Instant::now();
            f(m, b);
            times[k].push(start.elapsed());
        }
    }
    let min: Vec<f64> = times
        .iter()
        .map(|t| t.iter().min().expect("rounds > 0").as_secs_f64())
        .collect();
    let med: Vec<f64> = times.into_iter().map(|t| median(t).as_secs_f64()).collect();
    println!(
        "ratios {label} ({} atoms, {} edges, {rounds} interleaved rounds; median and min per variant):",
        b.num_atoms(),
        b.num_edges()
    );
    for (k, (name, _)) in variants.iter().enumerate() {
        println!(
            "  {name:<18} median {:>9.3} ms {:>6.2} x energy_f64 | min {:>9.3} ms {:>6.2} x energy_f64",
            1e3 * med[k],
            med[k] / med[0],
            1e3 * min[k],
            min[k] / min[0]
        );
    }
}

fn bench_model<M: EnergyModel + Parameters>(c: &mut Criterion, name: &str, m: &M) {
    for (label, r, rounds) in [("si64", 2, 41), ("si216", 3, 21)] {
        let b = silicon(r);
        let mut group = c.benchmark_group(format!("{name}_{label}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for (variant, f) in &variants::<M>() {
            group.bench_function(*variant, |bench| bench.iter(|| f(m, &b)));
        }
        group.finish();
        interleaved_ratios(&format!("{name} {label}"), m, &b, rounds);
    }
}

fn bench_forces(c: &mut Criterion) {
    bench_model(c, "mace", &mace_model());
    bench_model(c, "nequip", &nequip_model());
}

fn sanity(_: &mut Criterion) {
    // The variants compute the same energy (f32 to single precision).
    let (m, b) = (nequip_model(), silicon(1));
    let (e, f) = (energy_f64(&m, &b), energy_forces_f64(&m, &b));
    assert!((e - f.0).abs() <= 1e-12 * e.abs().max(1.0));
    assert!((f64::from(energy_f32(&m, &b)) - e).abs() <= 1e-4 * e.abs().max(1.0));
    assert_eq!(f.1.len(), b.num_atoms());
}

criterion_group!(benches, sanity, bench_forces);
criterion_main!(benches);
