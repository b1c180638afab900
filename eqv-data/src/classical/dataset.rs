//! eqv's default training data: Stillinger–Weber silicon from short MD runs.
//!
//! A network learns what it is shown. The default set therefore mixes
//! thermal vibrations of the crystal at several temperatures (300–1500 K,
//! SW silicon melts near 1690 K), compressed, stretched and sheared
//! (triclinic) cells, cells with a vacancy, and finite clusters with surfaces
//! and no cell. Every frame carries the SW energy and forces, and the stress
//! when the cell is periodic.
//!
//! Generation is deterministic from the seed (all randomness comes from
//! [`Rng`]) and fast: the default ~380 frames of 64 atoms take well under a
//! second in release builds.

use super::md::{Md, Thermostat};
use super::stillinger_weber::StillingerWeber;
use crate::data::{DataError, Frame, Value};
use crate::rng::Rng;

/// Mass of silicon (amu) used by the MD runs.
pub const SILICON_MASS: f64 = 28.0855;

/// The diamond lattice constant (Å) at which SW silicon has its minimum.
pub const SILICON_LATTICE_CONSTANT: f64 = 5.431;

/// What [`silicon_dataset`] generates.
#[derive(Clone, Debug, PartialEq)]
pub struct SiliconDatasetConfig {
    /// Conventional 8-atom cubic cells per direction (2 gives 64 atoms).
    pub repeats: usize,
    /// Lattice constant of the unstrained crystal (Å).
    pub lattice_constant: f64,
    /// Thermostat temperatures of the bulk runs (K).
    pub temperatures_k: Vec<f64>,
    /// Isotropic linear strains of the bulk runs (0.0 is the crystal at
    /// rest size; −0.02 compresses by 2 %). One run per (temperature, strain).
    pub strains: Vec<f64>,
    /// Standard deviation of a random symmetric shear strain; when positive,
    /// one extra triclinic run per temperature.
    pub shear: f64,
    /// Temperatures (K) of runs with one vacancy.
    pub vacancy_temperatures_k: Vec<f64>,
    /// Temperatures (K) of runs of a finite 29-atom cluster (no cell).
    pub cluster_temperatures_k: Vec<f64>,
    /// Time step (fs).
    pub dt_fs: f64,
    /// Langevin friction (1/fs).
    pub friction_per_fs: f64,
    /// Steps before the first sample of each run.
    pub equilibration_steps: usize,
    /// Steps between samples.
    pub sample_every: usize,
    /// Frames kept per run.
    pub samples_per_run: usize,
}

impl Default for SiliconDatasetConfig {
    /// 24 runs × 16 frames = 384 frames, mostly 64-atom cells.
    fn default() -> Self {
        SiliconDatasetConfig {
            repeats: 2,
            lattice_constant: SILICON_LATTICE_CONSTANT,
            temperatures_k: vec![300.0, 600.0, 900.0, 1200.0, 1500.0],
            strains: vec![-0.02, 0.0, 0.02],
            shear: 0.02,
            vacancy_temperatures_k: vec![600.0, 1200.0],
            cluster_temperatures_k: vec![300.0, 600.0],
            dt_fs: 1.0,
            friction_per_fs: 0.01,
            equilibration_steps: 200,
            sample_every: 10,
            samples_per_run: 16,
        }
    }
}

impl SiliconDatasetConfig {
    /// A very small set (8-atom cells, a handful of frames) for tests and
    /// examples that must run in a debug build in a fraction of a second.
    pub fn tiny() -> Self {
        SiliconDatasetConfig {
            repeats: 1,
            temperatures_k: vec![600.0],
            strains: vec![0.0, 0.02],
            shear: 0.02,
            vacancy_temperatures_k: vec![600.0],
            cluster_temperatures_k: vec![300.0],
            equilibration_steps: 20,
            sample_every: 5,
            samples_per_run: 3,
            ..Self::default()
        }
    }
}

/// Diamond-cubic silicon: `repeats` conventional 8-atom cells of side
/// `lattice_constant` (Å) along each axis, periodic.
pub fn diamond_silicon(lattice_constant: f64, repeats: [usize; 3]) -> Frame {
    const BASIS: [[f64; 3]; 8] = [
        [0.0, 0.0, 0.0],
        [0.0, 0.5, 0.5],
        [0.5, 0.0, 0.5],
        [0.5, 0.5, 0.0],
        [0.25, 0.25, 0.25],
        [0.25, 0.75, 0.75],
        [0.75, 0.25, 0.75],
        [0.75, 0.75, 0.25],
    ];
    let a = lattice_constant;
    let mut positions = Vec::new();
    for i in 0..repeats[0] {
        for j in 0..repeats[1] {
            for k in 0..repeats[2] {
                for b in BASIS {
                    positions.push([
                        a * (i as f64 + b[0]),
                        a * (j as f64 + b[1]),
                        a * (k as f64 + b[2]),
                    ]);
                }
            }
        }
    }
    let cell = [
        [a * repeats[0] as f64, 0.0, 0.0],
        [0.0, a * repeats[1] as f64, 0.0],
        [0.0, 0.0, a * repeats[2] as f64],
    ];
    Frame::periodic(vec![14; positions.len()], positions, cell)
}

/// A 29-atom silicon cluster: the diamond-lattice atoms within 4.6 Å of one
/// atom (itself and its first three neighbour shells), with no cell.
pub fn silicon_cluster(lattice_constant: f64) -> Frame {
    let bulk = diamond_silicon(lattice_constant, [3, 3, 3]);
    let centre = [lattice_constant * 1.25; 3]; // an atom (basis 0.25 in cell 1)
    let radius = 4.6 * lattice_constant / SILICON_LATTICE_CONSTANT;
    let positions: Vec<[f64; 3]> = bulk
        .positions
        .iter()
        .filter(|p| (0..3).map(|c| (p[c] - centre[c]).powi(2)).sum::<f64>() < radius * radius)
        .map(|p| std::array::from_fn(|c| p[c] - centre[c]))
        .collect();
    Frame::new(vec![14; positions.len()], positions)
}

/// Multiplies a frame's cell and positions by (I + ε) (ε symmetric).
fn strained(frame: &Frame, eps: [[f64; 3]; 3]) -> Frame {
    let m: [[f64; 3]; 3] = std::array::from_fn(|a| {
        std::array::from_fn(|b| eps[a][b] + if a == b { 1.0 } else { 0.0 })
    });
    let apply = |v: &[f64; 3]| -> [f64; 3] {
        std::array::from_fn(|b| (0..3).map(|a| v[a] * m[a][b]).sum())
    };
    let mut f = frame.clone();
    f.positions = frame.positions.iter().map(apply).collect();
    f.cell = frame
        .cell
        .map(|c| [apply(&c[0]), apply(&c[1]), apply(&c[2])]);
    f
}

/// One MD run's recipe.
struct Run {
    kind: &'static str,
    temperature_k: f64,
    frame: Frame,
}

/// eqv's default training set: short Langevin MD runs of Stillinger–Weber
/// silicon, sampled every `sample_every` steps, labelled with SW energies,
/// forces and (periodic cells) stresses, positions wrapped into the cell.
///
/// Each frame's `info` records how it was made: `config_type` (`bulk`,
/// `sheared`, `vacancy`, `cluster`), `temperature_k`, `strain` (bulk),
/// `run` and `md_step`. The same `config` and `seed` give the same frames,
/// bit for bit.
pub fn silicon_dataset(config: &SiliconDatasetConfig, seed: u64) -> Result<Vec<Frame>, DataError> {
    let a = config.lattice_constant;
    if config.repeats == 0 || !a.is_finite() || a <= 0.0 {
        return Err(DataError::invalid(
            "silicon dataset needs repeats ≥ 1 and a positive lattice constant",
        ));
    }
    let mut rng = Rng::new(seed);
    let r = config.repeats;
    let crystal = diamond_silicon(a, [r, r, r]);
    let mut runs = Vec::new();
    for &t in &config.temperatures_k {
        for &s in &config.strains {
            let mut f = strained(&crystal, [[s, 0.0, 0.0], [0.0, s, 0.0], [0.0, 0.0, s]]);
            f.info_set("strain", Value::Float(s));
            runs.push(Run {
                kind: "bulk",
                temperature_k: t,
                frame: f,
            });
        }
        if config.shear > 0.0 {
            let mut eps = [[0.0; 3]; 3];
            for (x, y) in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)] {
                let e = config.shear * rng.normal();
                eps[x][y] = e;
                eps[y][x] = e;
            }
            runs.push(Run {
                kind: "sheared",
                temperature_k: t,
                frame: strained(&crystal, eps),
            });
        }
    }
    for &t in &config.vacancy_temperatures_k {
        let mut f = crystal.clone();
        let i = rng.below(f.len());
        f.positions.remove(i);
        f.numbers.remove(i);
        runs.push(Run {
            kind: "vacancy",
            temperature_k: t,
            frame: f,
        });
    }
    for &t in &config.cluster_temperatures_k {
        runs.push(Run {
            kind: "cluster",
            temperature_k: t,
            frame: silicon_cluster(a),
        });
    }

    let sw = StillingerWeber::silicon();
    let mut frames = Vec::with_capacity(runs.len() * config.samples_per_run);
    for (index, run) in runs.into_iter().enumerate() {
        let mut start = run.frame;
        // Small random displacements so that no two runs start alike.
        for p in &mut start.positions {
            for x in p.iter_mut() {
                *x += 0.02 * rng.normal();
            }
        }
        let masses = vec![SILICON_MASS; start.len()];
        let thermostat = Thermostat::Langevin {
            temperature_k: run.temperature_k,
            friction_per_fs: config.friction_per_fs,
        };
        let mut md = Md::new(sw.clone(), start, masses, config.dt_fs, thermostat)?;
        // Starting from (nearly) the minimum, equipartition halves the
        // kinetic energy: start at twice the target to get there sooner.
        md.set_maxwell_boltzmann(2.0 * run.temperature_k, &mut rng);
        md.run(config.equilibration_steps, &mut rng)?;
        for _ in 0..config.samples_per_run {
            md.run(config.sample_every, &mut rng)?;
            let mut f = md.frame().clone();
            f.wrap_positions()?;
            let mut f = sw.label(&f)?;
            f.info_set("config_type", Value::Str(run.kind.to_string()));
            f.info_set("temperature_k", Value::Float(run.temperature_k));
            f.info_set("run", Value::Int(index as i64));
            f.info_set("md_step", Value::Int(md.steps() as i64));
            frames.push(f);
        }
    }
    Ok(frames)
}
