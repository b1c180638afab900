//! eqv's side of the comparison with e3nn (`tools/bench/compare.sh`, the
//! workloads of issue 7): in f32 and f64, median of `--reps` calls (fewer
//! when a workload's calls exceed the `--budget` of seconds, never fewer
//! than 3) after a warm-up, as JSON (milliseconds per call) with the same
//! keys as `tools/bench/e3nn_bench.py`:
//!
//! * `fctp_fwd`, `fctp_fwd_bwd` — fully connected (uvw) product
//!   `16x0e+16x1o+16x2e ⊗ same → same`, batch 10 000 ([`kernels::FullTp`]);
//!   backward to both operands and all weights;
//! * `tp_fwd`, `tp_fwd_bwd` — the channel-wise (uvu) product of a NequIP
//!   convolution, 20 000 edges;
//! * `linear_fwd`, `linear_fwd_bwd` — `Linear` `32x0e+32x1o+32x2e → same`,
//!   batch 10 000 (backward to input and weights);
//! * `sh_l2`, `sh_l3` — spherical harmonics of 100 000 vectors;
//! * `linear_0e`, `linear_1o`, `scatter` — the older small kernels;
//! * `nequip_energy`, `nequip_energy_forces` — the potential of
//!   `eqv::zoo::nequip` (sizes of `train_potential`) on 1000 atoms
//!   of rattled periodic diamond silicon, cutoff 4 Å.
//!
//! It also measures one core's FMA peak (f32 and f64; AVX-512 and AVX2 + FMA
//! as the CPU has them) and reports the FLOP count of the fully connected
//! product. With `--write-data DIR` it instead writes the inputs e3nn needs
//! to compute the same numbers (`check.json`: small inputs, weights and eqv's
//! outputs and gradients; `nequip_si1000.json`: the structure and its edge
//! list) and exits.
//!
//! ```text
//! cargo run --release --example bench_vs_e3nn -- --reps 15 --json eqv.json
//! cargo run --release --example bench_vs_e3nn -- --write-data /tmp/bench
//! ```
//!
//! eqv's kernels run on one thread (rayon parallelism is across structures
//! in training, not inside an op).

#[path = "../benches/support/kernels.rs"]
mod kernels;
use eqv::zoo::nequip;

use eqv::classical::diamond_silicon;
use eqv::data::SpeciesMap;
use eqv::graph::{forces_from_energy, Batch, EnergyModel, Graph};
use eqv::kernels::parallel::on_pool;
use eqv::prelude::*;
use kernels::*;
use nequip::{nequip_config, Nequip};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::Instant;

/// Cutoff of the NequIP system (Å).
const CUTOFF: f64 = 4.0;
/// Conventional cells per axis of the silicon system: 8·5³ = 1000 atoms.
const SI_REPEATS: usize = 5;

/// Median milliseconds of the calls of `run` on fresh inputs from `make`
/// (made before each timed call, not timed), after one or two warm-up
/// calls: `reps` calls, or fewer once `budget` seconds of timed calls are
/// spent (at least 3). The calls run on a worker of the thread pool, as
/// the library's own entry points run a model (`on_pool`): large ops split
/// across the cores without a hand-over from the main thread each.
fn timed<X>(
    reps: usize,
    budget: f64,
    make: impl Fn() -> X + Sync,
    run: impl Fn(X) -> f64 + Sync,
) -> f64 {
    on_pool(|| {
        let start = Instant::now();
        black_box(run(make()));
        if start.elapsed().as_secs_f64() < budget / 10.0 {
            black_box(run(make()));
        }
        let mut ts = Vec::with_capacity(reps);
        let mut spent = 0.0;
        while ts.len() < reps && (ts.len() < 3 || spent < budget) {
            let x = make();
            let start = Instant::now();
            black_box(run(x));
            let dt = start.elapsed().as_secs_f64();
            spent += dt;
            ts.push(1e3 * dt);
        }
        ts.sort_by(f64::total_cmp);
        ts[ts.len() / 2]
    })
}

/// `SI_REPEATS`³ conventional cells of diamond silicon, rattled by 0.05 Å
/// (seeded), one structure with its periodic neighbour list.
fn silicon() -> (eqv::data::Frame, Batch) {
    let mut frame = diamond_silicon(5.431, [SI_REPEATS; 3]);
    let mut rng = Rng::new(SI_REPEATS as u64);
    for p in &mut frame.positions {
        for x in p.iter_mut() {
            *x += 0.05 * rng.normal();
        }
    }
    let species = SpeciesMap::from_frames(std::slice::from_ref(&frame));
    let batch =
        Batch::from_frames(std::slice::from_ref(&frame), CUTOFF, &species).expect("a valid batch");
    (frame, batch)
}

fn nequip_model() -> Nequip {
    Nequip::new(&nequip_config(1, 16, 8, 2, CUTOFF), 0)
}

fn energy<T: Real>(m: &Nequip, b: &Batch) -> f64 {
    let tape = Tape::<T>::inference();
    let g = Graph::untracked(&tape, b);
    m.energy(&g).data()[0].value()
}

fn energy_forces<T: Real>(m: &Nequip, b: &Batch) -> f64 {
    let tape = Tape::<T>::inference();
    let g = Graph::new(&tape, b);
    let e = m.energy(&g);
    let value = e.data()[0].value();
    let f = forces_from_energy(&g, e);
    value + f[0][0].value()
}

/// The layers and the structure, built once (f64 parameters; both number
/// types use them).
struct Setup {
    fctp: FullTp,
    linear: LinearIrreps,
    nequip: Nequip,
    batch: Batch,
}

fn bench<T: Real>(
    s: &Setup,
    reps: usize,
    budget: f64,
    only: &Option<String>,
) -> Vec<(&'static str, f64)> {
    let mut out = Vec::new();
    let mut add = |key: &'static str, f: &dyn Fn() -> f64| {
        if only.as_ref().is_none_or(|o| selects(o, key)) {
            out.push((key, f()));
        }
    };
    let (tp, lin) = (&s.fctp, &s.linear);
    add("fctp_fwd", &|| {
        timed(
            reps,
            budget,
            || FcTpInputs::<T>::new(FC_BATCH, FC_MUL, 5),
            |x| x.run(tp, false),
        )
    });
    add("fctp_fwd_bwd", &|| {
        timed(
            reps,
            budget,
            || FcTpInputs::<T>::new(FC_BATCH, FC_MUL, 5),
            |x| x.run(tp, true),
        )
    });
    add("tp_fwd", &|| {
        timed(
            reps,
            budget,
            || TpInputs::<T>::new(EDGES, 1),
            |x| x.run(false),
        )
    });
    add("tp_fwd_bwd", &|| {
        timed(
            reps,
            budget,
            || TpInputs::<T>::new(EDGES, 1),
            |x| x.run(true),
        )
    });
    add("linear_fwd", &|| {
        timed(
            reps,
            budget,
            || LinearIrrepsInputs::<T>::new(FC_BATCH, LIN_MUL, 6),
            |x| x.run(lin, false),
        )
    });
    add("linear_fwd_bwd", &|| {
        timed(
            reps,
            budget,
            || LinearIrrepsInputs::<T>::new(FC_BATCH, LIN_MUL, 6),
            |x| x.run(lin, true),
        )
    });
    add("sh_l2", &|| {
        timed(
            reps,
            budget,
            || ShInputs::<T>::new(SH_VECTORS, 2),
            |x| x.run(2),
        )
    });
    add("sh_l3", &|| {
        timed(
            reps,
            budget,
            || ShInputs::<T>::new(SH_VECTORS, 2),
            |x| x.run(3),
        )
    });
    add("linear_0e", &|| {
        timed(
            reps,
            budget,
            || LinearInputs::<T>::new(ATOMS_LINEAR, 3),
            |x| x.run(false),
        )
    });
    add("linear_1o", &|| {
        timed(
            reps,
            budget,
            || LinearInputs::<T>::new(ATOMS_LINEAR, 3),
            |x| x.run(true),
        )
    });
    add("scatter", &|| {
        timed(
            reps,
            budget,
            || ScatterInputs::<T>::new(EDGES, ATOMS_SCATTER, 4),
            |x| x.run(),
        )
    });
    let (m, b) = (&s.nequip, &s.batch);
    add("nequip_energy", &|| {
        timed(reps, budget, || (), |_| energy::<T>(m, b))
    });
    add("nequip_energy_forces", &|| {
        timed(reps, budget, || (), |_| energy_forces::<T>(m, b))
    });
    out
}

/// One core's peak of fused multiply-adds: independent FMA chains in vector
/// registers, AVX-512 and AVX2 + FMA (whichever the CPU has, detected at run
/// time); plain multiply + add for the baseline build.
mod peak {
    use std::hint::black_box;
    use std::time::Instant;

    /// `acc = acc · a + b` on independent vector registers for `iters`
    /// rounds (enough chains in flight to cover the FMA latency of two
    /// units), written in assembly: the vectoriser does not reliably keep
    /// plain-array chains in registers, and the AVX-512 intrinsics and
    /// target feature need a newer Rust than the crate's MSRV. Uses
    /// registers 0..=13 only (declared clobbered through their xmm names).
    macro_rules! chains {
        ($name:ident, $t:ty, $size:literal, $bcast:literal, $fma:literal, $reg:literal, [$($acc:literal),*]) => {
            /// # Safety
            /// The CPU must support the instructions (checked by the caller).
            #[cfg(target_arch = "x86_64")]
            unsafe fn $name(iters: u64, a: $t, b: $t) {
                std::arch::asm!(
                    concat!($bcast, " ", $reg, "12, ", $size, " ptr [{a}]"),
                    concat!($bcast, " ", $reg, "13, ", $size, " ptr [{b}]"),
                    $(concat!("vxorps xmm", $acc, ", xmm", $acc, ", xmm", $acc),)*
                    "2:",
                    $(concat!($fma, " ", $reg, $acc, ", ", $reg, "12, ", $reg, "13"),)*
                    "dec {n}",
                    "jnz 2b",
                    "vzeroupper",
                    a = in(reg) &a,
                    b = in(reg) &b,
                    n = inout(reg) iters.max(1) => _,
                    out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
                    out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
                    out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                    out("xmm12") _, out("xmm13") _,
                    options(nostack, readonly),
                );
            }
        };
    }
    // 12 chains of 16 (f32) / 8 (f64) lanes in zmm registers; 10 chains of
    // 8 / 4 lanes in ymm registers.
    #[rustfmt::skip]
    chains!(avx512_f32, f32, "dword", "vbroadcastss", "vfmadd213ps", "zmm",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]);
    #[rustfmt::skip]
    chains!(avx512_f64, f64, "qword", "vbroadcastsd", "vfmadd213pd", "zmm",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]);
    #[rustfmt::skip]
    chains!(avx2_f32, f32, "dword", "vbroadcastss", "vfmadd213ps", "ymm",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    #[rustfmt::skip]
    chains!(avx2_f64, f64, "qword", "vbroadcastsd", "vfmadd213pd", "ymm",
        ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);

    fn portable_f32(iters: u64, a: f32, b: f32) -> f32 {
        let mut acc = [0.0f32; 32];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = *x * a + b;
            }
        }
        acc.iter().sum()
    }
    fn portable_f64(iters: u64, a: f64, b: f64) -> f64 {
        let mut acc = [0.0f64; 16];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = *x * a + b;
            }
        }
        acc.iter().sum()
    }

    /// GFLOP/s of `f` (2 FLOPs per lane per round), best of 3 runs of about
    /// 0.2 s each.
    fn gflops(lanes: usize, f: &dyn Fn(u64)) -> f64 {
        let probe = 100_000u64;
        let start = Instant::now();
        f(probe);
        let per_iter = start.elapsed().as_secs_f64() / probe as f64;
        let iters = ((0.2 / per_iter.max(1e-12)) as u64).max(probe);
        (0..3)
            .map(|_| {
                let start = Instant::now();
                f(iters);
                2.0 * lanes as f64 * iters as f64 / start.elapsed().as_secs_f64() / 1e9
            })
            .fold(0.0, f64::max)
    }

    /// `(instruction set, f32 GFLOP/s, f64 GFLOP/s)` of every variant this
    /// CPU runs.
    pub fn measure() -> Vec<(&'static str, f64, f64)> {
        let (a32, b32) = (black_box(0.999_999_9f32), black_box(1e-7f32));
        let (a64, b64) = (black_box(0.999_999_9f64), black_box(1e-7f64));
        let mut out = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (which includes its FMA).
                let s = gflops(12 * 16, &|n| unsafe { avx512_f32(n, a32, b32) });
                let d = gflops(12 * 8, &|n| unsafe { avx512_f64(n, a64, b64) });
                out.push(("avx512", s, d));
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has AVX2 and FMA.
                let s = gflops(10 * 8, &|n| unsafe { avx2_f32(n, a32, b32) });
                let d = gflops(10 * 4, &|n| unsafe { avx2_f64(n, a64, b64) });
                out.push(("avx2", s, d));
            }
        }
        let s = gflops(32, &|n| {
            black_box(portable_f32(n, a32, b32));
        });
        let d = gflops(16, &|n| {
            black_box(portable_f64(n, a64, b64));
        });
        out.push(("baseline mul+add", s, d));
        out
    }
}

/// Small f64 problems with eqv's results, for e3nn to recompute on the same
/// inputs and weights (`e3nn_bench.py --data`).
fn check_data() -> Value {
    let rows = 8;
    let mut rng = Rng::new(11);

    // Fully connected product: outputs, and gradients of Σ outputs.
    let tp = FullTp::new(FC_MUL, 7);
    let (x, y) = (
        random_blocks::<f64>(&mut rng, rows, FC_MUL),
        random_blocks::<f64>(&mut rng, rows, FC_MUL),
    );
    let t = Tape::<f64>::new();
    let xb = blocks(&t, true, FC_MUL, x.clone());
    let yb = blocks(&t, true, FC_MUL, y.clone());
    let out = tp.forward(xb, yb);
    let leaves = [
        xb.0.id(),
        xb.1.id(),
        xb.2.id(),
        yb.0.id(),
        yb.1.id(),
        yb.2.id(),
    ];
    let wids: Vec<_> = tp
        .paths()
        .iter()
        .map(|(_, w)| t.param_id(w).expect("every path ran"))
        .collect();
    let mut g_leaves: Vec<Vec<f64>> = leaves
        .iter()
        .map(|&id| vec![0.0; t.value(id).len()])
        .collect();
    let mut g_w: Vec<Vec<f64>> = wids
        .iter()
        .map(|&id| vec![0.0; t.value(id).len()])
        .collect();
    for (id, len) in [
        (out.0.id(), out.0.data().len()),
        (out.1.id(), out.1.data().len()),
        (out.2.id(), out.2.data().len()),
    ] {
        let g = t.backward(id, &vec![1.0; len]);
        for (acc, &leaf) in g_leaves
            .iter_mut()
            .chain(g_w.iter_mut())
            .zip(leaves.iter().chain(&wids))
        {
            for (a, v) in acc.iter_mut().zip(g.get_or_zeros(leaf)) {
                *a += v;
            }
        }
    }
    let paths: Vec<Value> = tp
        .paths()
        .iter()
        .zip(&g_w)
        .map(|(&((i, j, o), w), gw)| json!({"i": i, "j": j, "o": o, "w": w.data(), "grad": gw}))
        .collect();
    let fctp = json!({
        "rows": rows, "mul": FC_MUL, "x": x, "y": y, "paths": paths,
        "out": [out.0.to_f64(), out.1.to_f64(), out.2.to_f64()],
        "grad_x": &g_leaves[..3], "grad_y": &g_leaves[3..],
    });

    // Linear per block.
    let lin = LinearIrreps::new(LIN_MUL, 8);
    let xl = random_blocks::<f64>(&mut rng, rows, LIN_MUL);
    let t = Tape::<f64>::new();
    let out = lin.forward(blocks(&t, false, LIN_MUL, xl.clone()));
    let linear = json!({
        "rows": rows, "mul": LIN_MUL, "x": xl,
        "w": [lin.l0.weight.data(), lin.l1.weight.data(), lin.l2.weight.data()],
        "out": [out.0.to_f64(), out.1.to_f64(), out.2.to_f64()],
    });

    // Channel-wise product of the convolution (path weight 1, per-row weights).
    let (s, v) = (SCALARS, VECTORS);
    let mut r = |n: usize| -> Vec<f64> { rng.normals(n) };
    let (x0, x1, sh0, sh1, sh2) = (
        r(rows * s),
        r(rows * v * 3),
        r(rows),
        r(rows * 3),
        r(rows * 5),
    );
    let ws: Vec<Vec<f64>> = [s, v, s, v, v].iter().map(|&m| r(rows * m)).collect();
    let t = Tape::<f64>::new();
    let fx0 = eqv::non_equivariant::input::<Scalar, f64>(&t, rows, s, x0.clone());
    let fx1 = eqv::non_equivariant::input::<Vector, f64>(&t, rows, v, x1.clone());
    let f0 = eqv::non_equivariant::input::<Scalar, f64>(&t, rows, 1, sh0.clone());
    let f1 = eqv::non_equivariant::input::<Vector, f64>(&t, rows, 1, sh1.clone());
    let f2 = eqv::non_equivariant::input::<Tensor2e, f64>(&t, rows, 1, sh2.clone());
    let fw: Vec<Feat<Scalar, f64>> = ws
        .iter()
        .map(|w| eqv::non_equivariant::input(&t, rows, w.len() / rows, w.clone()))
        .collect();
    let uvu_out = [
        channelwise_tensor_product::<Scalar, Scalar, Scalar, f64>(fx0, f0, fw[0], 1.0).to_f64(),
        channelwise_tensor_product::<Vector, Vector, Scalar, f64>(fx1, f1, fw[1], 1.0).to_f64(),
        channelwise_tensor_product::<Scalar, Vector, Vector, f64>(fx0, f1, fw[2], 1.0).to_f64(),
        channelwise_tensor_product::<Vector, Scalar, Vector, f64>(fx1, f0, fw[3], 1.0).to_f64(),
        channelwise_tensor_product::<Vector, Tensor2e, Vector, f64>(fx1, f2, fw[4], 1.0).to_f64(),
    ];
    let uvu = json!({
        "rows": rows, "x0": x0, "x1": x1, "sh": [sh0, sh1, sh2], "w": ws, "out": uvu_out,
    });

    // Spherical harmonics l = 0..=3 of normalised vectors.
    let vecs = rng.normals(rows * 3);
    let t = Tape::<f64>::new();
    let sh = sh_up_to(
        eqv::non_equivariant::input::<Vector, f64>(&t, rows, 1, vecs.clone()),
        3,
        true,
    );
    let sh = json!({
        "rows": rows, "v": vecs,
        "out": [sh.get::<Scalar>().to_f64(), sh.get::<Vector>().to_f64(),
                sh.get::<Tensor2e>().to_f64(), sh.get::<Tensor3o>().to_f64()],
    });
    json!({"fctp": fctp, "linear": linear, "uvu": uvu, "sh": sh})
}

/// The NequIP system: positions, cell, edges (centre, neighbour, Cartesian
/// image shift; edge vector = r[neighbour] − r[centre] + shift); and, for
/// the check, the timed model's parameters (name → shape and values) with
/// its f64 energy and forces on this structure.
fn structure_data(frame: &eqv::data::Frame, b: &Batch) -> Value {
    let model = nequip_model();
    let mut params = serde_json::Map::new();
    model.visit("", &mut |name, p| {
        params.insert(
            name.to_string(),
            json!({"shape": p.shape(), "data": p.data()}),
        );
    });
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, b);
    let e = model.energy(&g);
    let energy = e.data()[0];
    let forces = forces_from_energy(&g, e);
    json!({
        "cutoff": CUTOFF, "atoms": b.num_atoms(), "edges": b.num_edges(),
        "cell": frame.cell, "positions": b.positions(), "species": b.species(),
        "centers": b.centers(), "neighbors": b.neighbors(), "shifts": b.shifts(),
        "params": params, "energy": energy, "forces": forces,
        "act_scale": {
            "silu": <Silu as Activation>::SECOND_MOMENT_SCALE,
            "sigmoid": <Sigmoid as Activation>::SECOND_MOMENT_SCALE,
        },
    })
}

/// `--only` takes a key substring, or a whole key ending in `$` to select
/// just that key (`nequip_energy$` without `nequip_energy_forces`).
fn selects(pattern: &str, key: &str) -> bool {
    match pattern.strip_suffix('$') {
        Some(exact) => key == exact,
        None => key.contains(pattern),
    }
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
    let mut budget = 5.0f64;
    let mut json_path: Option<String> = None;
    let mut data_dir: Option<String> = None;
    let mut only: Option<String> = None;
    let mut no_peak = false;
    let mut dtype: Option<String> = None;
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
            "--budget" => {
                budget = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&b: &f64| b >= 0.0)
                    .ok_or("--budget needs seconds")?;
            }
            "--json" => json_path = Some(args.next().ok_or("--json needs a path")?),
            "--write-data" => data_dir = Some(args.next().ok_or("--write-data needs a directory")?),
            "--only" => only = Some(args.next().ok_or("--only needs a key substring")?),
            "--no-peak" => no_peak = true,
            "--dtype" => {
                dtype = Some(
                    args.next()
                        .filter(|d| d == "f32" || d == "f64")
                        .ok_or("--dtype needs f32 or f64")?,
                )
            }
            "-h" | "--help" => {
                println!(
                    "usage: bench_vs_e3nn [--reps N] [--budget SECONDS] [--only KEY|KEY$] [--dtype f32|f64] [--no-peak] [--json PATH]\n       bench_vs_e3nn --write-data DIR"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let (frame, batch) = silicon();
    if let Some(dir) = data_dir {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, value) in [
            ("check.json", check_data()),
            ("nequip_si1000.json", structure_data(&frame, &batch)),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, value.to_string())
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        eprintln!(
            "wrote {}/check.json and nequip_si1000.json ({} atoms, {} edges)",
            dir.display(),
            batch.num_atoms(),
            batch.num_edges()
        );
        return Ok(());
    }
    let setup = Setup {
        fctp: FullTp::new(FC_MUL, 7),
        linear: LinearIrreps::new(LIN_MUL, 8),
        nequip: nequip_model(),
        batch,
    };
    // `--no-peak` and `--dtype` are for profiling one workload.
    let peaks = if no_peak { Vec::new() } else { peak::measure() };
    let wants = |d: &str| dtype.as_deref().is_none_or(|x| x == d);
    let f32s = if wants("f32") {
        bench::<f32>(&setup, reps, budget, &only)
    } else {
        Vec::new()
    };
    let f64s = if wants("f64") {
        bench::<f64>(&setup, reps, budget, &only)
    } else {
        Vec::new()
    };
    let info = json!({
        "fma_peak_gflops": peaks.iter().map(|(isa, s, d)| json!({"isa": isa, "f32": s, "f64": d})).collect::<Vec<_>>(),
        "fctp_flops": setup.fctp.flops_per_row() * FC_BATCH as f64,
        "nequip_params": setup.nequip.num_params(),
        "nequip_atoms": setup.batch.num_atoms(),
        "nequip_edges": setup.batch.num_edges(),
    });
    let text = format!(
        "{{\n \"impl\": \"eqv\",\n \"threads\": 1,\n \"reps\": {reps},\n \"info\": {info},\n \"ms\": {{\n  \"f32\": {},\n  \"f64\": {}\n }}\n}}",
        object(&f32s),
        object(&f64s)
    );
    match json_path {
        Some(path) => std::fs::write(&path, text + "\n").map_err(|e| format!("{path}: {e}"))?,
        None => println!("{text}"),
    }
    Ok(())
}
