//! Checkpoints that cannot lie: a process killed (SIGKILL) while writing
//! leaves the previous checkpoint intact; damaged, truncated, non-finite,
//! mis-shaped and other-version files are refused with an error that names
//! the problem, never a panic; the trainer's `model.json` must come from the
//! same save as the weights.

mod train_common;

use eqv_core::checkpoint::{
    encode, load_params, parse_checkpoint, read_checkpoint, save_params, CheckpointError, Metadata,
};
use eqv_core::param::{Param, Parameters};
use eqv_train::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use train_common::{sw_frames, PairModel, CUTOFF};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqv-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The bytes of a checkpoint with its `__metadata__` changed by `edit` (the
/// data and its checksum untouched).
fn with_metadata(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    edit(header["__metadata__"].as_object_mut().unwrap());
    let mut head = header.to_string().into_bytes();
    while !head.len().is_multiple_of(8) {
        head.push(b' ');
    }
    let mut out = (head.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&head);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

fn meta(model: &str) -> Metadata {
    [("model".to_string(), model.to_string())]
        .into_iter()
        .collect()
}

#[test]
fn bytes_overwritten_with_0xff_anywhere_are_rejected() {
    let model = PairModel::new(4);
    let bytes = encode(&model, &meta("PairModel"));
    let path = Path::new("m.safetensors");
    parse_checkpoint(&bytes, path).expect("the intact file loads");
    let mut checked = 0;
    for start in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        let end = (start + 8).min(bad.len());
        bad[start..end].fill(0xFF);
        if bad == bytes {
            continue;
        }
        match parse_checkpoint(&bad, path) {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with("m.safetensors: ") && !msg.contains('\n'),
                    "{msg}"
                );
            }
            Ok(_) => panic!(
                "8 bytes of 0xFF at offset {start} of {} loaded",
                bytes.len()
            ),
        }
        checked += 1;
    }
    assert!(checked > 300);

    // Through the file and the public loader, as `evaluate` would.
    let dir = temp_dir("ff");
    let file = dir.join("model.safetensors");
    let mut bad = bytes.clone();
    let mid = bytes.len() - 400;
    bad[mid..mid + 8].fill(0xFF);
    std::fs::write(&file, &bad).unwrap();
    let mut target = PairModel::zero(1);
    let e = load_params(&mut target, &file, "PairModel").unwrap_err();
    assert!(e.to_string().contains("checksum"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn truncated_files_are_named_as_such() {
    let bytes = encode(&PairModel::new(1), &meta("PairModel"));
    for len in 0..bytes.len() {
        let e = parse_checkpoint(&bytes[..len], Path::new("t")).unwrap_err();
        assert!(matches!(e, CheckpointError::Format { .. }), "{len}: {e}");
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let e = parse_checkpoint(&bytes[..bytes.len() - 8], Path::new("t")).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    assert!(n < bytes.len());
}

#[test]
fn non_finite_weights_shapes_and_versions_are_errors_that_name_them() {
    let dir = temp_dir("checks");
    let path = dir.join("m.safetensors");
    let mut model = PairModel::new(2);
    let mut k = 0;
    model.visit_mut("", &mut |_, p| {
        if k == 1 {
            let i = 3.min(p.len() - 1);
            p.data_mut()[i] = f64::NAN;
        }
        k += 1;
    });
    save_params(&model, &path, "PairModel", "{}", "{}").unwrap();
    let e = read_checkpoint(&path).unwrap_err();
    match &e {
        CheckpointError::NonFinite { parameter, .. } => assert!(!parameter.is_empty()),
        other => panic!("expected NonFinite, got {other}"),
    }
    assert!(e.to_string().contains("holds NaN at index"), "{e}");

    // Shape: a model for two species does not take a one-species file.
    save_params(&PairModel::new(2), &path, "PairModel", "{}", "{}").unwrap();
    let e = load_params(&mut PairModel::zero(2), &path, "PairModel").unwrap_err();
    assert!(
        e.to_string()
            .contains("has shape [1, 1] in the file, but the model expects [2, 1]"),
        "{e}"
    );
    let e = load_params(&mut PairModel::zero(1), &path, "Other").unwrap_err();
    assert!(
        e.to_string().contains("holds a `PairModel`, not a `Other`"),
        "{e}"
    );

    // Versions: another eqv minor version, another format.
    let bytes = std::fs::read(&path).unwrap();
    let other_eqv = with_metadata(&bytes, |m| {
        m.insert("eqv_version".into(), "0.99.0".into());
    });
    let e = parse_checkpoint(&other_eqv, &path).unwrap_err();
    assert!(matches!(e, CheckpointError::Version { .. }), "{e}");
    assert!(e.to_string().contains("written by eqv 0.99.0"), "{e}");
    let other_format = with_metadata(&bytes, |m| {
        m.insert("format_version".into(), "3".into());
    });
    let e = parse_checkpoint(&other_format, &path).unwrap_err();
    assert!(e.to_string().contains("checkpoint format 3"), "{e}");
    let no_checksum = with_metadata(&bytes, |m| {
        m.remove("data_checksum");
    });
    assert!(parse_checkpoint(&no_checksum, &path).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

/// A model of `n` weights all equal to `value`.
struct Big(Param);
impl Parameters for Big {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(&eqv_core::param::join_path(prefix, "w"), &self.0);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(&eqv_core::param::join_path(prefix, "w"), &mut self.0);
    }
}
const BIG: usize = 1 << 20; // 8 MB of weights

/// The child of the SIGKILL test: saves checkpoints 1, 2, 3, … to the file
/// named by `EQV_KILL_TEST_FILE` until it is killed. Does nothing in a
/// normal test run.
#[test]
fn sigkill_child_writer() {
    let Ok(file) = std::env::var("EQV_KILL_TEST_FILE") else {
        return;
    };
    for k in 1.. {
        let m = Big(Param::new(vec![BIG], vec![k as f64; BIG]));
        save_params(&m, Path::new(&file), "Big", "{}", "{}").unwrap();
    }
}

#[test]
fn a_process_killed_while_writing_leaves_the_previous_checkpoint() {
    let dir = temp_dir("kill");
    let file = dir.join("model.safetensors");
    save_params(
        &Big(Param::new(vec![BIG], vec![0.0; BIG])),
        &file,
        "Big",
        "{}",
        "{}",
    )
    .unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut kills_mid_write = 0;
    for round in 0..4 {
        let mut child = std::process::Command::new(&exe)
            .args([
                "--exact",
                "sigkill_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("EQV_KILL_TEST_FILE", &file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it while a temporary file exists: in the middle of a write.
        let t = Instant::now();
        let mut mid_write = false;
        while t.elapsed() < Duration::from_secs(10) {
            if !eqv_core::checkpoint::atomic::stale_temp_files(&file).is_empty() {
                mid_write = true;
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills_mid_write += usize::from(mid_write);
        let ckpt = read_checkpoint(&file)
            .unwrap_or_else(|e| panic!("round {round}: the checkpoint is damaged: {e}"));
        let mut m = Big(Param::zeros(vec![BIG]));
        ckpt.load_into(&mut m, "Big").unwrap();
        let first = m.0.data()[0];
        assert!(
            m.0.data().iter().all(|&x| x == first),
            "round {round}: mixed contents"
        );
        // What the killed writer left: temporary files only, never read.
        for tmp in eqv_core::checkpoint::atomic::stale_temp_files(&file) {
            std::fs::remove_file(tmp).unwrap();
        }
    }
    assert!(kills_mid_write >= 1, "no kill landed during a write");
    std::fs::remove_dir_all(&dir).ok();
}

fn quick(checkpoint: PathBuf) -> TrainConfig {
    TrainConfig {
        epochs: 1,
        batch_size: 8,
        lr: 1e-2,
        schedule: Schedule::Constant,
        cutoff: CUTOFF,
        patience: None,
        progress: ProgressMode::Quiet,
        check_equivariance: false,
        checkpoint: Some(checkpoint),
        model_name: "PairModel".into(),
        model_config: r#"{"n_basis": 8}"#.into(),
        ..TrainConfig::default()
    }
}

#[test]
fn model_json_from_another_save_or_edited_and_bad_cutoffs_are_refused() {
    let frames = sw_frames();
    let (train_set, valid_set) = split_frames(&frames[..16], 0.25, 1).unwrap();
    let dir = temp_dir("sidecar");
    let weights = dir.join("model.safetensors");
    let side = sidecar_path(&weights);
    assert_eq!(side, dir.join("model.json"));

    let mut model = PairModel::new(0);
    train(
        &mut model,
        &train_set,
        &valid_set,
        &quick(weights.clone()),
        &mut NoHooks,
    )
    .unwrap();
    let first = read_trained(&weights).unwrap();
    assert_eq!(first.model_name, "PairModel");
    assert_eq!(first.cutoff, CUTOFF);
    assert_eq!(first.config["n_basis"], 8);
    let old_json = std::fs::read_to_string(&side).unwrap();

    // A second run into the same place, then the first run's model.json
    // put back beside its weights.
    let mut model = PairModel::new(1);
    train(
        &mut model,
        &train_set,
        &valid_set,
        &quick(weights.clone()),
        &mut NoHooks,
    )
    .unwrap();
    let second = read_trained(&weights).unwrap();
    assert_ne!(first.run_id, second.run_id);
    let mut loaded = PairModel::zero(1);
    second
        .checkpoint
        .load_into(&mut loaded, "PairModel")
        .unwrap();
    assert_eq!(loaded.flat(), model.flat());
    let new_json = std::fs::read_to_string(&side).unwrap();
    std::fs::write(&side, &old_json).unwrap();
    let e = read_trained(&weights).unwrap_err().to_string();
    assert!(e.contains("were not written together"), "{e}");

    // The right save, but a cutoff edited by hand.
    let edited = new_json.replace(&format!("\"cutoff\": {CUTOFF}"), "\"cutoff\": -1.0");
    assert_ne!(edited, new_json);
    std::fs::write(&side, &edited).unwrap();
    let e = read_trained(&weights).unwrap_err().to_string();
    assert!(e.contains("`cutoff` is -1.0 here but 3.78"), "{e}");

    // The weights alone, with a negative cutoff in their metadata.
    std::fs::remove_file(&side).unwrap();
    read_trained(&weights).unwrap();
    let bytes = std::fs::read(&weights).unwrap();
    let negative = with_metadata(&bytes, |m| {
        m.insert("cutoff".into(), "-1".into());
    });
    std::fs::write(&weights, negative).unwrap();
    let e = read_trained(&weights).unwrap_err().to_string();
    assert!(e.contains("cutoff -1 Å must be positive"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
