//! The LAMMPS check: does `pair_style eqv` run the same dynamics as eqv's
//! own MD? (`tools/lammps/test.sh` drives it; CI runs that.)
//!
//! ```text
//! lammps_md_check prepare --model M --dir D [--repeats 3] [--displacement 0.1] [--seed 7] [--steps 100]
//! lammps_md_check compare --dir D --run R [--tolerance 1e-8]
//! ```
//!
//! `prepare` builds a diamond silicon supercell with every atom displaced
//! at random (so it moves from rest; both codes start with zero
//! velocities), writes it as a LAMMPS data file `D/start.data`, and runs
//! eqv's velocity Verlet ([`eqv::classical::Md`], what `eqv md --ensemble
//! nve` runs) with the model for `steps` steps of 1 fs, writing the
//! potential and kinetic energy, the stress and every force of every step
//! to `D/eqv_thermo.txt` and `D/eqv_forces.txt`.
//!
//! `compare` reads LAMMPS's thermo output (`R/log.lammps`, `thermo 1`,
//! `%.17g`) and force dump (`R/forces.dump`, sorted by id) and reports the
//! largest differences of the energies, the forces and the virial (eV:
//! LAMMPS's virial pressure times the volume, against eqv's `−σ V`); it
//! exits with status 1 if any exceeds the tolerance.
//!
//! One subtlety: LAMMPS's `units metal` converts amu·Å²/ps² to eV with the
//! factor 1.0364269e-4, eqv with CODATA 2018 (τ² · 10⁻⁶ = 1.036426965e-4,
//! [`FS_PER_TIME_UNIT`]): the accelerations differ by 6e-8 relative, which
//! after 100 steps moves the forces by more than 1e-8 eV/Å. The data file
//! therefore gives LAMMPS the mass `m · τ² · 10⁻⁶ / 1.0364269e-4`, for which
//! both codes integrate the same equations of motion (and report the same
//! kinetic energy); the difference that remains is the pair style's.

use eqv::classical::{diamond_silicon, md::FS_PER_TIME_UNIT, Md, Thermostat};
use eqv::data::atomic_mass;
use eqv::rng::Rng;
use eqv::simulation::ModelPotential;
use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// LAMMPS `units metal`: the energy of 1 amu moving at 1 Å/ps, in eV.
const LAMMPS_METAL_MVV2E: f64 = 1.0364269e-4;
/// LAMMPS `units metal`: 1 eV/Å³ in bar.
const LAMMPS_METAL_NKTV2P: f64 = 1.6021765e6;
/// Silicon's lattice constant (Å) for the start structure.
const LATTICE: f64 = 5.431;

type Res<T> = Result<T, Box<dyn Error>>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("prepare") => prepare(&Options::parse(&args[1..])),
        Some("compare") => compare(&Options::parse(&args[1..])),
        _ => Err("usage: lammps_md_check prepare|compare [--options]; see the file's docs".into()),
    };
    if let Err(e) = result {
        eprintln!("lammps_md_check: {e}");
        std::process::exit(1);
    }
}

/// `--key value` pairs.
struct Options(HashMap<String, String>);

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut map = HashMap::new();
        for pair in args.chunks(2) {
            if let [k, v] = pair {
                map.insert(k.trim_start_matches("--").to_string(), v.clone());
            }
        }
        Options(map)
    }
    fn path(&self, key: &str) -> Res<PathBuf> {
        self.0
            .get(key)
            .map(PathBuf::from)
            .ok_or_else(|| format!("--{key} is required").into())
    }
    fn num<T: std::str::FromStr>(&self, key: &str, default: T) -> Res<T> {
        match self.0.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key} {v}: not a number").into()),
        }
    }
}

fn prepare(o: &Options) -> Res<()> {
    let dir = o.path("dir")?;
    let repeats: usize = o.num("repeats", 3)?;
    let amplitude: f64 = o.num("displacement", 0.1)?;
    let seed: u64 = o.num("seed", 7)?;
    let steps: usize = o.num("steps", 100)?;
    std::fs::create_dir_all(&dir)?;
    let trained = eqv::zoo::load(o.path("model")?)?;
    let potential = ModelPotential::new(
        trained.model,
        trained.cutoff,
        trained.reference.species().clone(),
        trained.reference.per_atom(),
    )?;

    let mut frame = diamond_silicon(LATTICE, [repeats; 3]);
    let mut rng = Rng::new(seed);
    for p in &mut frame.positions {
        for x in p.iter_mut() {
            *x += rng.uniform_in(-amplitude, amplitude);
        }
    }
    // Inside [0, L) as LAMMPS's read_data wants them; eqv starts from the
    // very same numbers.
    let box_len = LATTICE * repeats as f64;
    for p in &mut frame.positions {
        for x in p.iter_mut() {
            *x = x.rem_euclid(box_len);
        }
    }
    let mass = atomic_mass(14).ok_or("no mass for silicon")?;
    write_data(&dir.join("start.data"), &frame.positions, box_len, mass)?;

    let masses = vec![mass; frame.len()];
    let mut md = Md::new(potential, frame, masses, 1.0, Thermostat::None)?;
    let (mut thermo, mut forces) = (String::new(), String::new());
    let started = std::time::Instant::now();
    for step in 0..=steps {
        if step > 0 {
            md.step(&mut rng)?;
        }
        let sigma = md.stress().ok_or("no stress for the periodic cell")?;
        let v = md.volume().ok_or("no volume")?;
        // The virial W = −σ V in LAMMPS's order xx yy zz xy xz yz.
        let w = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)].map(|(a, b)| -sigma[a][b] * v);
        write!(
            thermo,
            "{step} {:.17e} {:.17e}",
            md.potential_energy(),
            md.kinetic_energy()
        )?;
        for x in w {
            write!(thermo, " {x:.17e}")?;
        }
        writeln!(thermo)?;
        writeln!(forces, "step {step}")?;
        for f in md.forces() {
            writeln!(forces, "{:.17e} {:.17e} {:.17e}", f[0], f[1], f[2])?;
        }
    }
    std::fs::write(dir.join("eqv_thermo.txt"), thermo)?;
    std::fs::write(dir.join("eqv_forces.txt"), forces)?;
    println!(
        "eqv NVE reference: {} atoms, {steps} steps of 1 fs in {:.1} s -> {}",
        md.frame().len(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}

/// A LAMMPS data file (`atom_style atomic`, one type) of a cubic box.
fn write_data(path: &Path, positions: &[[f64; 3]], box_len: f64, mass: f64) -> Res<()> {
    let tau2_ps2 = FS_PER_TIME_UNIT * FS_PER_TIME_UNIT * 1e-6;
    let lammps_mass = mass * tau2_ps2 / LAMMPS_METAL_MVV2E;
    let mut s = String::new();
    writeln!(s, "diamond silicon, displaced (eqv lammps_md_check)\n")?;
    writeln!(s, "{} atoms\n1 atom types\n", positions.len())?;
    for axis in ["x", "y", "z"] {
        writeln!(s, "0.0 {box_len:.17e} {axis}lo {axis}hi")?;
    }
    writeln!(
        s,
        "\nMasses\n\n1 {lammps_mass:.17e}  # Si {mass} amu in eqv's unit conversion\n"
    )?;
    writeln!(s, "Atoms # atomic\n")?;
    for (i, p) in positions.iter().enumerate() {
        writeln!(s, "{} 1 {:.17e} {:.17e} {:.17e}", i + 1, p[0], p[1], p[2])?;
    }
    std::fs::write(path, s)?;
    Ok(())
}

fn compare(o: &Options) -> Res<()> {
    let dir = o.path("dir")?;
    let run = o.path("run")?;
    let tolerance: f64 = o.num("tolerance", 1e-8)?;
    let reference = read_columns(&dir.join("eqv_thermo.txt"))?;
    let lammps = read_lammps_thermo(&run.join("log.lammps"))?;
    let ref_forces = read_eqv_forces(&dir.join("eqv_forces.txt"))?;
    let lmp_forces = read_dump_forces(&run.join("forces.dump"))?;
    if reference.len() != lammps.len() || ref_forces.len() != lmp_forces.len() {
        return Err(format!(
            "step counts differ: eqv {} thermo / {} force frames, LAMMPS {} / {}",
            reference.len(),
            ref_forces.len(),
            lammps.len(),
            lmp_forces.len()
        )
        .into());
    }
    let (mut de_pot, mut de_kin, mut df, mut dw) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (r, l) in reference.iter().zip(&lammps) {
        // eqv: step pe ke W(6); LAMMPS: step pe ke etotal vol p_virial(6).
        if r.len() != 9 || l.len() != 11 {
            return Err("unexpected thermo columns (see tools/lammps/in.nve)".into());
        }
        if r[0] != l[0] {
            return Err(format!(
                "step {} in eqv's output meets step {} in LAMMPS's",
                r[0], l[0]
            )
            .into());
        }
        de_pot = de_pot.max((r[1] - l[1]).abs());
        de_kin = de_kin.max((r[2] - l[2]).abs());
        for k in 0..6 {
            let w_lammps = l[5 + k] * l[4] / LAMMPS_METAL_NKTV2P;
            dw = dw.max((r[3 + k] - w_lammps).abs());
        }
    }
    for (r, l) in ref_forces.iter().zip(&lmp_forces) {
        if r.len() != l.len() {
            return Err(format!("{} atoms in eqv, {} in LAMMPS", r.len(), l.len()).into());
        }
        for (a, b) in r.iter().zip(l) {
            for k in 0..3 {
                df = df.max((a[k] - b[k]).abs());
            }
        }
    }
    let last = reference.last().ok_or("no steps")?;
    println!(
        "{}: {} steps, {} atoms; max |dE_pot| {de_pot:.2e} eV (E_pot ≈ {:.3} eV), max |dE_kin| {de_kin:.2e} eV (E_kin at the end {:.4} eV), max |dF| {df:.2e} eV/Å, max |dW| {dw:.2e} eV (virial, W_xx ≈ {:.3} eV)",
        run.display(),
        reference.len() - 1,
        ref_forces[0].len(),
        last[1],
        last[2],
        last[3]
    );
    // Both codes must actually have moved the atoms, or agreement is cheap.
    if last[2] < 1e-3 {
        return Err(format!(
            "the atoms barely moved (E_kin {} eV): nothing was tested",
            last[2]
        )
        .into());
    }
    let worst = de_pot.max(de_kin).max(df).max(dw);
    if worst.is_nan() || worst > tolerance {
        return Err(format!("LAMMPS and eqv differ by {worst:.2e} > {tolerance:.0e}").into());
    }
    Ok(())
}

fn numbers(line: &str) -> Option<Vec<f64>> {
    line.split_whitespace().map(|w| w.parse().ok()).collect()
}

fn read_columns(path: &Path) -> Res<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().filter_map(numbers).collect())
}

/// `Step PotEng KinEng TotEng` rows of the last run in a LAMMPS log.
fn read_lammps_thermo(path: &Path) -> Res<Vec<Vec<f64>>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("Step ") {
            inside = true;
            rows.clear();
        } else if t.starts_with("Loop time") {
            inside = false;
        } else if inside {
            if let Some(v) = numbers(t) {
                rows.push(v);
            }
        }
    }
    if rows.is_empty() {
        return Err(format!("{}: no thermo rows", path.display()).into());
    }
    Ok(rows)
}

fn read_eqv_forces(path: &Path) -> Res<Vec<Vec<[f64; 3]>>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut frames: Vec<Vec<[f64; 3]>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("step") {
            frames.push(Vec::new());
        } else if let (Some(f), Some(v)) = (frames.last_mut(), numbers(line)) {
            f.push([v[0], v[1], v[2]]);
        }
    }
    Ok(frames)
}

/// `ITEM: ATOMS id fx fy fz` blocks of a dump sorted by id.
fn read_dump_forces(path: &Path) -> Res<Vec<Vec<[f64; 3]>>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut frames: Vec<Vec<[f64; 3]>> = Vec::new();
    let mut in_atoms = false;
    for line in text.lines() {
        if line.starts_with("ITEM: ATOMS") {
            in_atoms = true;
            frames.push(Vec::new());
        } else if line.starts_with("ITEM:") {
            in_atoms = false;
        } else if in_atoms {
            let v = numbers(line)
                .filter(|v| v.len() == 4)
                .ok_or("bad dump line")?;
            let frame = frames.last_mut().ok_or("dump without frames")?;
            if v[0] as usize != frame.len() + 1 {
                return Err("dump is not sorted by id (dump_modify sort id)".into());
            }
            frame.push([v[1], v[2], v[3]]);
        }
    }
    Ok(frames)
}
