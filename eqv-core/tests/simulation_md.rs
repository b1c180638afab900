//! MD with trained models: a model as a potential (energy + E0, forces,
//! stress), energy conservation in NVE, constant pressure in NPT, the thermo
//! log, the trajectory, the RDF and the drift measure.

use eqv_core::classical::{diamond_silicon, Barostat, Md, Potential, StillingerWeber, Thermostat};
use eqv_core::data::{read_extxyz, DataError, Frame, SpeciesMap};
use eqv_core::graph::{energy_forces_stress, Batch, EnergyModel, Graph};
use eqv_core::param::{join_path, Param};
use eqv_core::prelude::*;
use eqv_core::simulation::{
    energy_drift, Ensemble, MdConfig, MdOutputs, MdRun, ModelPotential, Rdf, ThermoLog,
    ThermoRecord, TrajectoryWriter,
};

const CUTOFF: f64 = 3.8;

/// A small smooth many-body model (radial MLP on a Bessel basis, an l = 2
/// density per atom, readout).
struct Toy {
    basis: BesselBasis,
    radial: ScalarMlp,
    readout: ScalarMlp<Tanh>,
}

impl Toy {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        Toy {
            basis: BesselBasis::new(CUTOFF, 6),
            radial: ScalarMlp::new(&[6, 8, 3], Silu, &mut rng),
            readout: ScalarMlp::with_bias(&[3, 8, 1], Tanh, &mut rng),
        }
    }
}

impl EnergyModel for Toy {
    fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let r = g.edge_vectors();
        let w = self.radial.forward(self.basis.forward(r.norm()));
        let y2 = r.spherical_harmonic::<Tensor2e>(true);
        let m2 = g.scatter_sum(y2.scale(w.channels(2, 3)));
        let inv = g.scatter_sum(w.channels(0, 2)).concat(m2.squared_norm());
        g.sum_over_atoms(self.readout.forward(inv))
    }
}

impl Parameters for Toy {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.radial.visit(&join_path(prefix, "radial"), f);
        self.readout.visit(&join_path(prefix, "readout"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.radial.visit_mut(&join_path(prefix, "radial"), f);
        self.readout.visit_mut(&join_path(prefix, "readout"), f);
    }
}

fn silicon() -> SpeciesMap {
    SpeciesMap::from_numbers([14])
}

fn rattled(seed: u64, scale: f64) -> Frame {
    let mut f = diamond_silicon(5.431, [1; 3]);
    let mut rng = Rng::new(seed);
    for p in &mut f.positions {
        for x in p.iter_mut() {
            *x += scale * rng.normal();
        }
    }
    f
}

#[test]
fn model_potential_adds_e0_and_gives_the_tapes_forces_and_stress() {
    let f = rattled(1, 0.1);
    let pot = ModelPotential::new(Toy::new(1), CUTOFF, silicon(), vec![-4.25]).unwrap();
    let out = pot.evaluate(&f).unwrap();
    let b = Batch::from_frames(std::slice::from_ref(&f), CUTOFF, &silicon()).unwrap();
    let tape = Tape::<f64>::new();
    let g = Graph::with_strain(&tape, &b);
    let want = energy_forces_stress(&g, Toy::new(1).energy(&g));
    assert!((out.energy - (want.energies[0] - 4.25 * 8.0)).abs() < 1e-12);
    assert_eq!(out.forces, want.forces);
    assert_eq!(out.stress, want.stresses[0]);
    let (e, forces) = pot.energy_forces(&f).unwrap();
    assert_eq!((e, forces), (out.energy, out.forces));
    // A cluster has no stress; an unknown element is an error naming it.
    let cluster = Frame::new(vec![14, 14], vec![[0.0; 3], [2.3, 0.0, 0.0]]);
    assert_eq!(pot.evaluate(&cluster).unwrap().stress, None);
    let carbon = Frame::new(vec![6, 14], vec![[0.0; 3], [2.3, 0.0, 0.0]]);
    assert!(pot.evaluate(&carbon).is_err());
    // Bad settings are errors, not panics.
    assert!(ModelPotential::new(Toy::new(1), -1.0, silicon(), vec![0.0]).is_err());
    assert!(ModelPotential::new(Toy::new(1), CUTOFF, silicon(), vec![]).is_err());
    assert!(ModelPotential::new(Toy::new(1), CUTOFF, silicon(), vec![f64::NAN]).is_err());
}

#[test]
fn a_large_structure_evaluated_on_the_pool_gives_the_same_numbers() {
    // 1000 atoms: enough edges that the potential evaluates on a worker of
    // the thread pool (`on_pool`); the numbers must be those of the same
    // graph evaluated here, to the bit.
    let mut f = diamond_silicon(5.431, [5; 3]);
    let mut rng = Rng::new(3);
    for p in &mut f.positions {
        for x in p.iter_mut() {
            *x += 0.1 * rng.normal();
        }
    }
    let b = Batch::from_frames(std::slice::from_ref(&f), CUTOFF, &silicon()).unwrap();
    assert!(eqv_core::kernels::parallel::worth_splitting(b.num_edges()));
    let pot = ModelPotential::new(Toy::new(4), CUTOFF, silicon(), vec![0.0]).unwrap();
    let out = pot.evaluate(&f).unwrap();
    let tape = Tape::<f64>::inference();
    let g = Graph::with_strain(&tape, &b);
    let want = energy_forces_stress(&g, Toy::new(4).energy(&g));
    assert_eq!(out.energy, want.energies[0]);
    assert_eq!(out.forces, want.forces);
    assert_eq!(out.stress, want.stresses[0]);
}

fn nve(
    potential: impl Potential,
    repeats: usize,
    dt_fs: f64,
    fs: f64,
) -> (Vec<ThermoRecord>, usize) {
    let frame = diamond_silicon(5.431, [repeats; 3]);
    let n = frame.len();
    let cfg = MdConfig {
        ensemble: Ensemble::Nve,
        dt_fs,
        steps: (fs / dt_fs) as usize,
        initial_temperature_k: 600.0,
        seed: 3,
        log_every: (5.0 / dt_fs) as usize,
        trajectory_every: 0,
    };
    let records = MdRun::new(potential, frame, cfg)
        .unwrap()
        .run(&mut MdOutputs::default())
        .unwrap();
    (records, n)
}

/// The largest |E_tot(t) − E_tot(0)| per atom, and the same of E_pot.
fn spreads(records: &[ThermoRecord], n: usize) -> (f64, f64) {
    let (t0, p0) = (records[0].total_ev, records[0].potential_ev);
    records.iter().fold((0.0f64, 0.0f64), |(a, b), r| {
        (
            a.max((r.total_ev - t0).abs() / n as f64),
            b.max((r.potential_ev - p0).abs() / n as f64),
        )
    })
}

#[test]
fn nve_conserves_energy_with_stillinger_weber() {
    let (records, n) = nve(StillingerWeber::silicon(), 2, 1.0, 300.0);
    let drift = energy_drift(&records, n).unwrap();
    let (total, potential) = spreads(&records, n);
    println!("SW NVE: drift {drift:.2e} eV/atom/ps, max |ΔE_tot| {total:.2e}, max |ΔE_pot| {potential:.2e} eV/atom");
    assert!(potential > 100.0 * total, "{potential} vs {total}");
    assert!(drift.abs() < 1e-4, "drift {drift} eV/atom/ps");
    assert!(records.iter().all(|r| r.pressure_gpa.is_some()));
}

#[test]
fn nve_with_a_model_conserves_energy_to_second_order_in_the_time_step() {
    // Forces that are exactly −∇E make velocity Verlet's energy error
    // O(dt²): halving the step quarters it. A force inconsistent with the
    // energy would leave an error that does not shrink.
    let pot = || ModelPotential::new(Toy::new(2), CUTOFF, silicon(), vec![0.0]).unwrap();
    let (coarse, n) = nve(pot(), 1, 1.0, 100.0);
    let (fine, _) = nve(pot(), 1, 0.5, 100.0);
    let (e1, p1) = spreads(&coarse, n);
    let (e2, _) = spreads(&fine, n);
    println!(
        "model NVE: max |ΔE_tot| {e1:.2e} (1 fs), {e2:.2e} (0.5 fs) eV/atom; max |ΔE_pot| {p1:.2e}"
    );
    assert!(p1 > 20.0 * e1, "{p1} vs {e1}");
    assert!(e1 / e2 > 3.0 && e1 / e2 < 5.5, "ratio {}", e1 / e2);
}

#[test]
fn npt_relaxes_the_volume_to_the_target_pressure() {
    // A compressed crystal at P0 = 0 expands; at P0 = 8 GPa it stays
    // compressed. Mean pressure over the second half near the target.
    let sw = StillingerWeber::silicon();
    let mut mean_volume = Vec::new();
    for target in [0.0, 8.0] {
        let mut f = diamond_silicon(5.35, [1; 3]);
        f.positions[0][0] += 0.05;
        let cfg = MdConfig {
            ensemble: Ensemble::Npt {
                temperature_k: 300.0,
                friction_per_fs: 0.02,
                barostat: Barostat::StochasticCellRescaling {
                    pressure_gpa: target,
                    tau_fs: 100.0,
                    compressibility_per_gpa: 0.01,
                },
            },
            dt_fs: 1.0,
            steps: 3000,
            initial_temperature_k: 300.0,
            seed: 5,
            log_every: 10,
            trajectory_every: 0,
        };
        let records = MdRun::new(sw.clone(), f, cfg)
            .unwrap()
            .run(&mut MdOutputs::default())
            .unwrap();
        let half = &records[records.len() / 2..];
        let p: f64 = half.iter().map(|r| r.pressure_gpa.unwrap()).sum::<f64>() / half.len() as f64;
        let v: f64 = half.iter().map(|r| r.volume_a3.unwrap()).sum::<f64>() / half.len() as f64;
        let t: f64 = half.iter().map(|r| r.temperature_k).sum::<f64>() / half.len() as f64;
        println!("NPT at {target} GPa: mean P {p:.2} GPa, mean V {v:.2} Å³ (start {:.2}), mean T {t:.0} K", 5.35f64.powi(3));
        assert!(
            (p - target).abs() < 1.0,
            "target {target} GPa, mean {p} GPa"
        );
        assert!((t - 300.0).abs() < 60.0, "mean T {t}");
        mean_volume.push(v);
    }
    assert!(mean_volume[0] > 5.38f64.powi(3), "{mean_volume:?}");
    assert!(mean_volume[1] < mean_volume[0] - 1.0, "{mean_volume:?}");
}

/// A potential without stress.
struct NoStress;

impl Potential for NoStress {
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError> {
        Ok((0.0, vec![[0.0; 3]; frame.len()]))
    }
}

#[test]
fn npt_refuses_what_it_cannot_do() {
    let b = Barostat::StochasticCellRescaling {
        pressure_gpa: 0.0,
        tau_fs: 100.0,
        compressibility_per_gpa: 0.01,
    };
    let langevin = Thermostat::Langevin {
        temperature_k: 300.0,
        friction_per_fs: 0.01,
    };
    let f = diamond_silicon(5.431, [1; 3]);
    let m = vec![28.0855; 8];
    let sw = StillingerWeber::silicon();
    fn err<P: Potential>(r: Result<Md<P>, DataError>) -> String {
        r.err().map(|e| e.to_string()).unwrap_or_default()
    }
    let e = err(
        Md::new(sw.clone(), f.clone(), m.clone(), 1.0, Thermostat::None)
            .unwrap()
            .with_barostat(b),
    );
    assert!(e.contains("thermostat"), "{e}");
    let mut cluster = f.clone();
    cluster.cell = None;
    cluster.pbc = [false; 3];
    let e = err(Md::new(sw.clone(), cluster, m.clone(), 1.0, langevin)
        .unwrap()
        .with_barostat(b));
    assert!(e.contains("periodic"), "{e}");
    let e = err(Md::new(NoStress, f.clone(), m.clone(), 1.0, langevin)
        .unwrap()
        .with_barostat(b));
    assert!(e.contains("stress"), "{e}");
    let bad = Barostat::StochasticCellRescaling {
        pressure_gpa: 0.0,
        tau_fs: 0.0,
        compressibility_per_gpa: 0.01,
    };
    let e = err(Md::new(sw.clone(), f.clone(), m, 1.0, langevin)
        .unwrap()
        .with_barostat(bad));
    assert!(e.contains("relaxation time"), "{e}");
    // MdRun checks its own settings.
    let cfg = MdConfig {
        dt_fs: 0.0,
        ..MdConfig::default()
    };
    assert!(MdRun::new(sw.clone(), f.clone(), cfg).is_err());
    let cfg = MdConfig {
        log_every: 0,
        ..MdConfig::default()
    };
    assert!(MdRun::new(sw, f, cfg).is_err());
}

#[test]
fn rdf_of_the_diamond_crystal_counts_four_neighbours() {
    let f = diamond_silicon(5.431, [2; 3]);
    let mut rdf = Rdf::new(5.0, 100).unwrap();
    rdf.add(&f).unwrap();
    let curve = rdf.curve();
    let dr = 0.05;
    // g is normalised by pairs, N (N − 1): the density of the *other* atoms.
    let rho = (f.len() - 1) as f64 / f.volume().unwrap();
    // Coordination up to 3 Å: 4 (nearest neighbours at 2.352 Å); up to
    // 4 Å: 4 + 12 (second shell at 3.840 Å).
    let count = |r_max: f64| -> f64 {
        curve
            .iter()
            .filter(|(r, _)| *r < r_max)
            .map(|(r, g)| {
                let (r0, r1) = (r - 0.5 * dr, r + 0.5 * dr);
                rho * g * 4.0 / 3.0 * std::f64::consts::PI * (r1.powi(3) - r0.powi(3))
            })
            .sum()
    };
    assert!((count(3.0) - 4.0).abs() < 1e-9, "{}", count(3.0));
    assert!((count(4.0) - 16.0).abs() < 1e-9, "{}", count(4.0));
    // The first occupied bin holds the nearest-neighbour distance 2.352 Å.
    let first = curve.iter().find(|(_, g)| *g > 0.0).unwrap().0;
    assert!(
        (first - 2.352).abs() <= 0.5 * dr,
        "first occupied bin at {first}"
    );
    assert_eq!(rdf.distance(&rdf).unwrap(), 0.0);
    let mut hot = Rdf::new(5.0, 100).unwrap();
    hot.add(&rattled(4, 0.15)).unwrap();
    assert!(hot.distance(&rdf).unwrap() > 0.1);
    // Errors, not panics.
    assert!(Rdf::new(0.0, 10).is_err() && Rdf::new(5.0, 0).is_err());
    assert!(rdf
        .add(&Frame::new(vec![14, 14], vec![[0.0; 3], [1.0; 3]]))
        .is_err());
    assert!(Rdf::new(5.0, 50).unwrap().distance(&rdf).is_err());
}

#[test]
fn thermo_log_and_trajectory_are_written_and_read_back() {
    let dir = std::env::temp_dir().join(format!("eqv-md-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = MdConfig {
        ensemble: Ensemble::Nvt {
            temperature_k: 500.0,
            friction_per_fs: 0.01,
        },
        steps: 20,
        log_every: 5,
        trajectory_every: 10,
        ..MdConfig::default()
    };
    let mut outputs = MdOutputs {
        thermo: Some(ThermoLog::create(dir.join("thermo.log")).unwrap()),
        trajectory: Some(TrajectoryWriter::create(dir.join("traj.extxyz")).unwrap()),
        rdf: Some(Rdf::new(4.0, 40).unwrap()),
        rdf_from_step: 10,
    };
    let mut run = MdRun::new(StillingerWeber::silicon(), rattled(2, 0.05), cfg).unwrap();
    let records = run.run(&mut outputs).unwrap();
    assert_eq!(
        records.iter().map(|r| r.step).collect::<Vec<_>>(),
        [0, 5, 10, 15, 20]
    );
    let log = std::fs::read_to_string(dir.join("thermo.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], ThermoRecord::HEADER);
    assert_eq!(lines.len(), 6);
    let cols: Vec<f64> = lines[3]
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    assert_eq!(cols.len(), 8);
    assert_eq!(cols[0], 10.0);
    assert!((cols[5] - records[2].total_ev).abs() < 1e-7);
    assert!((cols[5] - cols[3] - cols[4]).abs() < 1e-7);
    let frames = read_extxyz(dir.join("traj.extxyz")).unwrap();
    assert_eq!(frames.len(), 3); // steps 0, 10, 20
    let last = &frames[2];
    assert_eq!(last.positions, run.md().frame().positions);
    assert!(last.stress.is_some() && last.energy == Some(run.md().potential_energy()));
    assert!(last.array_get("velocities").is_some());
    // The trajectory's schedule from step 10 on: steps 10 and 20.
    assert_eq!(outputs.rdf.as_ref().unwrap().frames(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn energy_drift_is_the_least_squares_slope() {
    let rec = |t: f64, e: f64| ThermoRecord {
        step: 0,
        time_fs: t,
        temperature_k: 0.0,
        potential_ev: e,
        kinetic_ev: 0.0,
        total_ev: e,
        pressure_gpa: None,
        volume_a3: None,
    };
    // 2 atoms, E = 1 + 0.004 t (t in ps): exactly 2 meV/atom/ps.
    let r: Vec<ThermoRecord> = (0..11)
        .map(|k| {
            let t = 100.0 * k as f64;
            rec(t, 1.0 + 0.004 * t * 1e-3)
        })
        .collect();
    let d = energy_drift(&r, 2).unwrap();
    assert!((d - 0.002).abs() < 1e-12, "{d}");
    assert_eq!(energy_drift(&r[..1], 2), None);
    assert_eq!(energy_drift(&r, 0), None);
}
