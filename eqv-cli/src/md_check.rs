//! The main job's MD check: the freshly trained model runs molecular
//! dynamics next to the reference potential, from the same start, and the
//! run reports how well the model conserves energy (NVE drift) and how close
//! the structure it samples is to the reference's (RDF distance), with the
//! two RDFs plotted beside the learning curve.
//!
//! Low test errors do not guarantee usable dynamics: a model can be
//! accurate on the training distribution and still drift, heat up or melt
//! a crystal once it moves on its own. This is the cheapest check that it
//! does not.

use eqv::classical::{diamond_silicon, Potential, StillingerWeber};
use eqv::graph::EnergyModel;
use eqv::simulation::{
    energy_drift, Ensemble, MdConfig, MdOutputs, MdRun, ModelPotential, Rdf, ThermoLog,
    ThermoRecord,
};
use eqv::train::{chart_svg, write_svg, Chart, ReferenceEnergies, Series};
use serde_json::{json, Value};
use std::error::Error;
use std::path::Path;

/// What the check runs.
pub struct MdCheck {
    /// Conventional 8-atom diamond cells per direction of the start.
    pub repeats: usize,
    /// Target temperature (K): the crystal at rest starts with velocities at
    /// twice this, and equipartition brings it here.
    pub temperature_k: f64,
    /// Steps of 1 fs.
    pub steps: usize,
}

/// RDF range (Å) and bins: the first two neighbour shells of silicon.
const RDF_MAX: f64 = 5.0;
const RDF_BINS: usize = 100;

/// One NVE run from the diamond crystal; its thermo records and RDF.
fn nve<P: Potential>(
    potential: P,
    check: &MdCheck,
    log: &Path,
) -> Result<(Vec<ThermoRecord>, Rdf, usize), Box<dyn Error>> {
    let start = diamond_silicon(5.431, [check.repeats; 3]);
    let atoms = start.len();
    let cfg = MdConfig {
        ensemble: Ensemble::Nve,
        dt_fs: 1.0,
        steps: check.steps,
        initial_temperature_k: 2.0 * check.temperature_k,
        seed: 11,
        log_every: 5,
        trajectory_every: 0,
    };
    let mut outputs = MdOutputs {
        thermo: Some(ThermoLog::create(log)?),
        trajectory: None,
        rdf: Some(Rdf::new(RDF_MAX, RDF_BINS)?),
        // The second half: after the kinetic energy has shared itself out.
        rdf_from_step: (check.steps / 2) as u64,
    };
    let records = MdRun::new(potential, start, cfg)?.run(&mut outputs)?;
    let rdf = outputs.rdf.take().ok_or("no RDF")?;
    Ok((records, rdf, atoms))
}

fn summary(records: &[ThermoRecord], atoms: usize) -> Value {
    let half = &records[records.len() / 2..];
    let mean = |f: fn(&ThermoRecord) -> f64| half.iter().map(f).sum::<f64>() / half.len() as f64;
    let drift = energy_drift(records, atoms).map(|d| 1e3 * d);
    json!({
        "energy_drift_mev_per_atom_per_ps": drift,
        "mean_temperature_k": mean(|r| r.temperature_k),
        "mean_pressure_gpa": mean(|r| r.pressure_gpa.unwrap_or(f64::NAN)),
        "mean_potential_energy_ev_per_atom": mean(|r| r.potential_ev) / atoms as f64,
    })
}

/// Runs the check for `model` (trained with `cutoff` and `reference`
/// energies) against Stillinger–Weber, writes `md_model.log`,
/// `md_reference.log` and `rdf.svg` into `out`, prints a summary and
/// returns the report's `md_check` entry. A model that breaks down in MD
/// is reported, not an error: the training run has still succeeded.
pub fn run<M: EnergyModel + Sync>(
    model: M,
    cutoff: f64,
    reference: &ReferenceEnergies,
    check: &MdCheck,
    out: &Path,
) -> Value {
    let t = std::time::Instant::now();
    let result = (|| -> Result<Value, Box<dyn Error>> {
        let potential = ModelPotential::new(
            model,
            cutoff,
            reference.species().clone(),
            reference.per_atom(),
        )?;
        let (model_records, model_rdf, atoms) = nve(potential, check, &out.join("md_model.log"))?;
        let (ref_records, ref_rdf, _) = nve(
            StillingerWeber::silicon(),
            check,
            &out.join("md_reference.log"),
        )?;
        let distance = model_rdf.distance(&ref_rdf)?;
        let svg = chart_svg(&Chart {
            title: "Radial distribution function, NVE MD",
            x_label: "r (Å)",
            y_label: "g(r)",
            log_y: false,
            integer_x: false,
            series: vec![
                Series {
                    name: "trained model",
                    color: "#1f77b4",
                    points: model_rdf.curve(),
                },
                Series {
                    name: "Stillinger-Weber",
                    color: "#ff7f0e",
                    points: ref_rdf.curve(),
                },
            ],
            marks: Vec::new(),
        });
        write_svg(out.join("rdf.svg"), &svg)?;
        let (m, r) = (summary(&model_records, atoms), summary(&ref_records, atoms));
        println!(
            "MD check (NVE, {atoms} atoms of diamond silicon, {} steps of 1 fs from {} K, {:.1} s): energy drift {} meV/atom/ps (Stillinger-Weber {}); mean T {:.0} K (SW {:.0} K); RDF distance {distance:.3} (0 = identical) -> {}",
            check.steps,
            2.0 * check.temperature_k,
            t.elapsed().as_secs_f64(),
            fmt(&m["energy_drift_mev_per_atom_per_ps"]),
            fmt(&r["energy_drift_mev_per_atom_per_ps"]),
            m["mean_temperature_k"].as_f64().unwrap_or(f64::NAN),
            r["mean_temperature_k"].as_f64().unwrap_or(f64::NAN),
            out.join("rdf.svg").display()
        );
        Ok(json!({
            "ensemble": "nve",
            "atoms": atoms,
            "steps": check.steps,
            "dt_fs": 1.0,
            "initial_temperature_k": 2.0 * check.temperature_k,
            "model": m,
            "reference": r,
            "reference_potential": "Stillinger-Weber silicon",
            "rdf_distance": distance,
            "rdf_distance_definition": "sqrt(sum (g_model - g_ref)^2 / sum g_ref^2) over bins of width 0.05 Å up to 5 Å, second half of each run",
            "seconds": t.elapsed().as_secs_f64(),
        }))
    })();
    match result {
        Ok(v) => v,
        Err(e) => {
            println!("MD check failed: {e}");
            json!({ "error": e.to_string() })
        }
    }
}

fn fmt(v: &Value) -> String {
    v.as_f64().map_or("n/a".to_string(), |x| format!("{x:+.3}"))
}
