//! Molecular dynamics: units, NVE energy conservation, Langevin temperature,
//! determinism.

use eqv_data::classical::md::{BOLTZMANN_EV_PER_K, FS_PER_TIME_UNIT};
use eqv_data::classical::{diamond_silicon, Md, Potential, StillingerWeber, Thermostat};
use eqv_data::data::{DataError, Frame};
use eqv_data::rng::Rng;

const SI: f64 = 28.0855;

/// A constant force on every atom: E = −F·Σx.
struct ConstantForce(f64);

impl Potential for ConstantForce {
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError> {
        let e = -self.0 * frame.positions.iter().map(|p| p[0]).sum::<f64>();
        Ok((e, vec![[self.0, 0.0, 0.0]; frame.len()]))
    }
}

#[test]
fn data_md_units() {
    // x(t) = ½ (F/m) t², with F/m in eV/Å/amu = Å/τ², τ ≈ 10.18 fs.
    let frame = Frame::new(vec![14], vec![[0.0; 3]]);
    let mut md = Md::new(ConstantForce(0.5), frame, vec![SI], 0.5, Thermostat::None).unwrap();
    md.run(200, &mut Rng::new(0)).unwrap();
    let t = 100.0; // fs
    let expect = 0.5 * (0.5 / SI) * (t / FS_PER_TIME_UNIT).powi(2);
    assert!((md.frame().positions[0][0] - expect).abs() < 1e-12 * expect.max(1.0));
    // Kinetic energy equals the work done: F·x.
    assert!((md.kinetic_energy() - 0.5 * expect).abs() < 1e-12);
    assert!((FS_PER_TIME_UNIT - 10.1805).abs() < 1e-4);
    // Bad inputs are errors.
    let f = Frame::new(vec![14], vec![[0.0; 3]]);
    assert!(Md::new(
        ConstantForce(0.0),
        f.clone(),
        vec![SI],
        0.0,
        Thermostat::None
    )
    .is_err());
    assert!(Md::new(ConstantForce(0.0), f.clone(), vec![], 1.0, Thermostat::None).is_err());
    let bad = Thermostat::Langevin {
        temperature_k: f64::NAN,
        friction_per_fs: 0.01,
    };
    assert!(Md::new(ConstantForce(0.0), f, vec![SI], 1.0, bad).is_err());
}

#[test]
fn data_md_nve_conserves_energy() {
    // 8 atoms of SW silicon (64 in the benchmark numbers of the report; 8
    // keeps this fast in debug builds), started at 600 K (≈ 300 K after
    // equipartition), 1000 steps of 1 fs without a thermostat.
    let frame = diamond_silicon(5.431, [1; 3]);
    let n = frame.len();
    let mut md = Md::new(
        StillingerWeber::silicon(),
        frame,
        vec![SI; n],
        1.0,
        Thermostat::None,
    )
    .unwrap();
    let mut rng = Rng::new(1);
    md.set_maxwell_boltzmann(600.0, &mut rng);
    assert!((md.temperature() - 600.0).abs() < 1e-9);
    let e0 = md.total_energy();
    let mut energies = Vec::new();
    let mut temps = 0.0;
    for _ in 0..1000 {
        md.step(&mut rng).unwrap();
        energies.push(md.total_energy());
        temps += md.temperature();
    }
    let n = n as f64;
    let max_dev = energies.iter().fold(0.0f64, |m, e| m.max((e - e0).abs())) / n;
    // Drift: mean of the last 100 steps minus mean of the first 100
    // (velocity Verlet's energy oscillates; the drift is what accumulates).
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let drift = (mean(&energies[900..]) - mean(&energies[..100])) / n;
    let mean_t = temps / 1000.0;
    eprintln!("NVE: max |ΔE| = {max_dev:.2e} eV/atom, drift = {drift:.2e} eV/atom, mean T = {mean_t:.0} K");
    assert!(max_dev < 3e-4, "energy fluctuates by {max_dev} eV/atom");
    assert!(drift.abs() < 2e-5, "energy drifts by {drift} eV/atom");
    // Equipartition: about half of the initial kinetic energy became potential.
    assert!((200.0..420.0).contains(&mean_t), "mean T {mean_t}");
    // Halving the time step cuts the fluctuation about fourfold (a
    // second-order integrator whose forces match its energy).
    let frame = diamond_silicon(5.431, [1; 3]);
    let mut half = Md::new(
        StillingerWeber::silicon(),
        frame,
        vec![SI; 8],
        0.5,
        Thermostat::None,
    )
    .unwrap();
    let mut rng = Rng::new(1);
    half.set_maxwell_boltzmann(600.0, &mut rng);
    let e0 = half.total_energy();
    let mut max_half = 0.0f64;
    for _ in 0..1000 {
        half.step(&mut rng).unwrap();
        max_half = max_half.max((half.total_energy() - e0).abs() / n);
    }
    eprintln!("NVE dt = 0.5 fs over 500 fs: max |ΔE| = {max_half:.2e} eV/atom");
    assert!(max_half < 0.5 * max_dev, "{max_half} vs {max_dev}");
}

#[test]
fn data_md_langevin_reaches_temperature() {
    for (target, seed) in [(300.0, 2), (1200.0, 3)] {
        let frame = diamond_silicon(5.431, [1; 3]);
        let thermostat = Thermostat::Langevin {
            temperature_k: target,
            friction_per_fs: 0.02,
        };
        let mut md = Md::new(
            StillingerWeber::silicon(),
            frame,
            vec![SI; 8],
            1.0,
            thermostat,
        )
        .unwrap();
        let mut rng = Rng::new(seed);
        md.run(200, &mut rng).unwrap(); // from rest
        let mut sum = 0.0;
        let steps = 2000;
        for _ in 0..steps {
            md.step(&mut rng).unwrap();
            sum += md.temperature();
        }
        let mean = sum / steps as f64;
        eprintln!("Langevin {target} K: mean T = {mean:.0} K");
        assert!(
            (mean - target).abs() < 0.12 * target,
            "target {target}, mean {mean}"
        );
        // Kinetic energy in eV agrees with the temperature definition.
        let ke = md.kinetic_energy();
        assert!((md.temperature() - 2.0 * ke / (3.0 * 8.0 * BOLTZMANN_EV_PER_K)).abs() < 1e-9);
    }
}

#[test]
fn data_md_is_deterministic() {
    let run = || {
        let frame = diamond_silicon(5.431, [1; 3]);
        let thermostat = Thermostat::Langevin {
            temperature_k: 900.0,
            friction_per_fs: 0.01,
        };
        let mut md = Md::new(
            StillingerWeber::silicon(),
            frame,
            vec![SI; 8],
            1.0,
            thermostat,
        )
        .unwrap();
        let mut rng = Rng::new(9);
        md.set_maxwell_boltzmann(900.0, &mut rng);
        md.run(50, &mut rng).unwrap();
        md.labelled_frame()
    };
    assert_eq!(run(), run());
}
