//! eqv's default silicon dataset: deterministic, labelled, varied.

use eqv_data::classical::{silicon_dataset, SiliconDatasetConfig, StillingerWeber};
use eqv_data::data::{format_extxyz, parse_extxyz, SpeciesMap, Value};

#[test]
fn data_dataset_tiny_is_deterministic_and_labelled() {
    let config = SiliconDatasetConfig::tiny();
    let frames = silicon_dataset(&config, 42).unwrap();
    // 2 bulk + 1 sheared + 1 vacancy + 1 cluster runs, 3 samples each.
    assert_eq!(frames.len(), 5 * config.samples_per_run);
    assert_eq!(frames, silicon_dataset(&config, 42).unwrap());
    assert_ne!(frames, silicon_dataset(&config, 43).unwrap());
    let sw = StillingerWeber::silicon();
    let mut kinds = Vec::new();
    for f in &frames {
        f.validate().unwrap();
        let kind = match f.info_get("config_type") {
            Some(Value::Str(s)) => s.clone(),
            other => panic!("config_type {other:?}"),
        };
        // Labels are the SW values of the stored positions.
        let out = sw.compute(f).unwrap();
        assert_eq!(f.energy, Some(out.energy));
        assert_eq!(f.forces.as_ref(), Some(&out.forces));
        match kind.as_str() {
            "cluster" => {
                assert!(f.cell.is_none() && f.stress.is_none());
                assert_eq!(f.len(), 29);
            }
            "vacancy" => assert_eq!(f.len(), 7),
            _ => {
                assert_eq!(f.len(), 8);
                assert!(f.stress.is_some());
                // Positions are wrapped into the cell (here: orthorhombic or
                // nearly so, so check the fractional coordinates).
                let c = f.cell.unwrap();
                let m = nalgebra::Matrix3::from_fn(|r, k| c[r][k]);
                let inv = m.try_inverse().unwrap();
                for p in &f.positions {
                    for k in 0..3 {
                        let s: f64 = (0..3).map(|x| p[x] * inv[(x, k)]).sum();
                        assert!((-1e-9..1.0 + 1e-9).contains(&s), "{s}");
                    }
                }
            }
        }
        // Thermal frames: above the crystal minimum, not far (clusters, with
        // their surface, sit near −3 eV/atom).
        let per_atom = out.energy / f.len() as f64;
        assert!(
            (-4.34..-2.5).contains(&per_atom),
            "{kind}: {per_atom} eV/atom"
        );
        kinds.push(kind);
    }
    for k in ["bulk", "sheared", "vacancy", "cluster"] {
        assert!(kinds.iter().any(|x| x == k), "no {k} frames");
    }
    // The sheared cell is triclinic.
    let sheared = frames
        .iter()
        .find(|f| f.info_get("config_type") == Some(&Value::Str("sheared".into())))
        .unwrap();
    let c = sheared.cell.unwrap();
    assert!(c[0][1].abs() + c[1][2].abs() > 1e-3);
    // One species, and the set survives a trip through extended XYZ.
    assert_eq!(SpeciesMap::from_frames(&frames).numbers(), &[14]);
    let text = format_extxyz(&frames).unwrap();
    assert_eq!(parse_extxyz(&text, "dataset").unwrap(), frames);
}

/// The default dataset in a release build: `cargo test --release -p eqv-core
/// --test data_dataset -- --ignored --nocapture`.
#[test]
#[ignore = "slow in debug builds; run with --release"]
fn data_dataset_default_is_fast() {
    let t = std::time::Instant::now();
    let frames = silicon_dataset(&SiliconDatasetConfig::default(), 0).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let atoms: usize = frames.iter().map(|f| f.len()).sum();
    eprintln!(
        "default silicon dataset: {} frames, {atoms} atoms, {secs:.2} s",
        frames.len()
    );
    assert_eq!(frames.len(), 24 * 16);
    assert!(secs < 10.0);
}
