//! The `eqv` tool as a user runs it: every bad input is a one-line error
//! naming the option (never a panic, never training first), Ctrl-C
//! (SIGINT) stops a run with a checkpoint that `eqv evaluate` loads, a new
//! run into an old `--out` removes the old run's files, a damaged or
//! mismatched checkpoint is refused, a config file gives the options and
//! is copied into the run, `--resume` continues from the checkpoint, and
//! `eqv inspect` shows what a checkpoint holds.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The `eqv` binary and the subcommand of a former example's name.
fn tool(name: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_eqv"));
    cmd.arg(match name {
        "train_potential" => "train",
        "evaluate_potential" => "evaluate",
        other => other,
    });
    cmd
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqv-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(name: &str, args: &[&str]) -> Output {
    tool(name).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A failure with exactly one line on stderr, `error: ` + `expected`…
fn assert_one_line_error(out: &Output, expected: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "succeeded: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with(&format!("error: {expected}")), "{err}");
    let started = text(&out.stdout)
        .lines()
        .any(|l| l.starts_with("training "));
    assert!(!started, "training started: {err}");
}

#[test]
fn bad_inputs_are_one_line_errors_before_any_training() {
    let dir = temp_dir("bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let as_dir = dir.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--cutoff", "0"], "--cutoff 0: must be a positive number"),
        (
            &["--cutoff", "-2"],
            "--cutoff -2: must be a positive number",
        ),
        (&["--cutoff", "50"], "--cutoff 50: about "),
        (&["--channels", "0"], "--channels 0: must be at least 1"),
        (&["--layers", "0"], "--layers 0: must be at least 1"),
        (
            &["--valid-fraction", "0"],
            "--valid-fraction 0: must lie strictly between 0 and 1",
        ),
        (
            &["--test-fraction", "0"],
            "--test-fraction 0: must lie strictly between 0 and 1",
        ),
        (
            &["--valid-fraction", "0.6", "--test-fraction", "0.5"],
            "--valid-fraction + --test-fraction",
        ),
        (&["--report", as_dir], "--report: "),
        (&["--report", "/nonexistent-eqv-dir/r.json"], "--report: "),
        (&["--lr", "-1"], "--lr -1: must be a positive number"),
        (&["--cutoff", "abc"], "option `--cutoff`: cannot read `abc`"),
        (
            &["--stress-weight", "-1"],
            "--stress-weight -1: must be a number ≥ 0",
        ),
        (&["--md-steps", "x"], "option `--md-steps`: cannot read `x`"),
        (
            &["--precision", "f16"],
            "option `--precision`: cannot read `f16`",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["--smoke", "--quiet", "--out", out];
        all.extend_from_slice(args);
        let o = run("train_potential", &all);
        assert_one_line_error(&o, expected);
        if args[0] == "--cutoff" && args[1] == "50" {
            let err = text(&o.stderr);
            assert!(
                err.contains("neighbours per atom")
                    && err.contains("GB")
                    && err.trim_end().ends_with("lower --cutoff"),
                "{err}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_absurd_learning_rate_fails_with_lower_lr() {
    let dir = temp_dir("lr");
    let o = run(
        "train_potential",
        &[
            "--smoke",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
            "--lr",
            "1e6",
        ],
    );
    let err = text(&o.stderr);
    assert!(!o.status.success() && !err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the loss rose from") && err.contains("lower --lr (now 1000000)"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigint_stops_with_a_checkpoint_that_evaluate_loads() {
    let dir = temp_dir("sigint");
    let out = dir.join("out");
    let mut child = tool("train_potential")
        .args([
            "--smoke",
            "--epochs",
            "100000",
            "--patience",
            "100000",
            "--max-minutes",
            "2",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let mut line = String::new();
    // Wait for the first epoch line, then Ctrl-C.
    while stdout.read_line(&mut line).unwrap() > 0 {
        seen.push_str(&line);
        let first_epoch = line.starts_with("epoch");
        line.clear();
        if first_epoch {
            break;
        }
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let t = Instant::now();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(t.elapsed() < Duration::from_secs(25), "slow to stop");
    seen.push_str(&rest);
    assert_eq!(status.code(), Some(130), "{seen}");
    let last = seen.lines().last().unwrap_or("");
    assert!(
        last.starts_with("interrupted at epoch ") && last.contains("; checkpoint written to "),
        "{seen}"
    );
    assert!(out.join("report.json").exists() && out.join("model.json").exists());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["stop_reason"], "interrupted");
    assert!(report["test"]["force_mae_mev_per_a"].as_f64().is_some());

    assert_evaluates(&out);
    std::fs::remove_dir_all(&dir).ok();
}

/// `evaluate` loads the run in `out` from its checkpoint alone and prints
/// finite errors on the run's own data.
fn assert_evaluates(out: &Path) {
    let o = run(
        "evaluate_potential",
        &[
            "--model",
            out.to_str().unwrap(),
            "--data",
            out.join("silicon_sw.extxyz").to_str().unwrap(),
        ],
    );
    let printed = text(&o.stdout);
    assert!(
        o.status.success(),
        "{}: {printed}{}",
        out.display(),
        text(&o.stderr)
    );
    assert!(
        printed.contains("force  MAE") && !printed.contains("NaN"),
        "{}: {printed}",
        out.display()
    );
}

/// Every architecture `--model` names trains, and `evaluate` rebuilds it
/// from the checkpoint alone (the default, `mace`, is covered above).
#[test]
fn every_model_trains_and_its_checkpoint_evaluates() {
    let dir = temp_dir("models");
    for model in ["nequip", "nequip-l2"] {
        let out = dir.join(model);
        let o = run(
            "train_potential",
            &[
                "--smoke",
                "--quiet",
                "--model",
                model,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{model}: {}", text(&o.stderr));
        assert_evaluates(&out);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn old_files_are_removed_and_mismatched_or_damaged_checkpoints_refused() {
    let dir = temp_dir("stale");
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    let first = run("train_potential", &["--smoke", "--quiet", "--out", out_s]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    for set in ["train", "valid", "test"] {
        assert!(report[set]["n_frames"].as_u64().unwrap() > 0, "{set}");
    }
    let printed = text(&first.stdout);
    assert!(
        printed.contains("  test ") && !printed.contains("NaN"),
        "{printed}"
    );
    // Trained on stresses (the generated data has them), reported, and
    // checked by MD against the reference.
    assert_eq!(report["config"]["stress_weight"], 1.0);
    assert!(report["test"]["stress_mae_mev_per_a3"].as_f64().is_some());
    let md = &report["md_check"];
    assert!(
        md["rdf_distance"].as_f64().is_some_and(f64::is_finite),
        "{md}"
    );
    for who in ["model", "reference"] {
        let drift = md[who]["energy_drift_mev_per_atom_per_ps"].as_f64();
        assert!(drift.is_some_and(f64::is_finite), "{md}");
    }
    let svg = std::fs::read_to_string(out.join("rdf.svg")).unwrap();
    assert_eq!(svg.matches("<polyline").count(), 2);
    assert!(printed.contains("MD check (NVE") && printed.contains("RDF distance"));
    md_runs_from_the_checkpoint(&dir, &out);
    let old_json = std::fs::read_to_string(out.join("model.json")).unwrap();

    let second = run(
        "train_potential",
        &["--smoke", "--quiet", "--out", out_s, "--seed", "1"],
    );
    assert!(second.status.success(), "{}", text(&second.stderr));
    let printed = text(&second.stdout);
    assert!(
        printed.contains("file(s) of a previous run in")
            && printed.contains("model.safetensors, model.json"),
        "{printed}"
    );

    let data = out.join("silicon_sw.extxyz");
    let evaluate = || {
        run(
            "evaluate_potential",
            &["--model", out_s, "--data", data.to_str().unwrap()],
        )
    };
    assert!(evaluate().status.success());
    // The first run's model.json beside the second run's weights.
    let new_json = std::fs::read_to_string(out.join("model.json")).unwrap();
    std::fs::write(out.join("model.json"), &old_json).unwrap();
    assert_one_line_error(&evaluate(), "");
    assert!(text(&evaluate().stderr).contains("were not written together"));
    // A negative cutoff typed into model.json.
    let negative = new_json.replace("\"cutoff\": 4.0", "\"cutoff\": -4.0");
    assert_ne!(negative, new_json);
    std::fs::write(out.join("model.json"), negative).unwrap();
    assert_one_line_error(&evaluate(), "");
    std::fs::write(out.join("model.json"), &new_json).unwrap();
    assert!(evaluate().status.success());
    // Eight bytes of the weights overwritten with 0xFF.
    let weights = out.join("model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let at = bytes.len() - 100;
    bytes[at..at + 8].fill(0xFF);
    std::fs::write(&weights, bytes).unwrap();
    let o = evaluate();
    assert_one_line_error(&o, "");
    assert!(text(&o.stderr).contains("checksum"), "{}", text(&o.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_config_file_gives_the_options_and_the_run_keeps_a_copy_and_a_csv_log() {
    let dir = temp_dir("config");
    let out = dir.join("out");
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        format!(
            "smoke = true\nquiet = true\nepochs = 3\nlr = 0.005\nprecision = \"f32\"\nout = {:?}\n",
            out.display().to_string()
        ),
    )
    .unwrap();
    // The command line wins over the file.
    let o = run(
        "train_potential",
        &["--config", config.to_str().unwrap(), "--seed", "2"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let copy: String = std::fs::read_to_string(out.join("config.toml")).unwrap();
    for line in [
        "epochs = 3",
        "lr = 0.005",
        "precision = \"f32\"",
        "seed = 2",
        "smoke = true",
    ] {
        assert!(copy.lines().any(|l| l == line), "{line} not in {copy}");
    }
    let csv = std::fs::read_to_string(out.join("epochs.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 3, "{csv}");
    assert!(lines[0].starts_with("epoch,elapsed_s,lr,"), "{csv}");
    assert!(lines[3].starts_with("3,"), "{csv}");
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), lines[0].split(',').count(), "{l}");
    }

    // The copy alone reproduces the run's options.
    let again = dir.join("again");
    let o = run(
        "train_potential",
        &[
            "--config",
            out.join("config.toml").to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(again.join("epochs.csv"))
            .unwrap()
            .lines()
            .count(),
        4
    );

    // A misspelt key is an error naming the file and the key.
    std::fs::write(&config, "learning_rate = 0.1\n").unwrap();
    let o = run("train_potential", &["--config", config.to_str().unwrap()]);
    assert_one_line_error(&o, &format!("{}: `learning_rate`", config.display()));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn resume_starts_from_the_checkpoint_and_inspect_shows_it() {
    let dir = temp_dir("resume");
    let out = dir.join("out");
    let o = run(
        "train_potential",
        &["--smoke", "--quiet", "--out", out.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));

    let o = run("inspect", &[out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let shown = text(&o.stdout);
    for part in [
        "model       Mace",
        "cutoff      4 Å",
        "Si ",
        "parameters  856",
    ] {
        assert!(shown.contains(part), "{part} not in {shown}");
    }

    // Weights are saved in f64 whatever the precision of the passes: a
    // run in f32 resumes from them (and the other way round).
    let o = run(
        "train_potential",
        &[
            "--smoke",
            "--quiet",
            "--precision",
            "f32",
            "--resume",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("resuming from"),
        "{}",
        text(&o.stdout)
    );
    // Other sizes cannot resume from this checkpoint.
    let o = run(
        "train_potential",
        &[
            "--smoke",
            "--channels",
            "6",
            "--resume",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("--resume"), "{}", text(&o.stderr));
    // Nothing to resume from is an error before training.
    let empty = dir.join("empty");
    let o = run(
        "train_potential",
        &["--smoke", "--resume", "--out", empty.to_str().unwrap()],
    );
    assert_one_line_error(&o, "--resume");

    let o = run("inspect", &[dir.join("missing").to_str().unwrap()]);
    assert!(!o.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

/// The `md` example on a trained checkpoint: every ensemble runs and writes
/// its log and trajectory; bad options are one-line errors.
fn md_runs_from_the_checkpoint(dir: &Path, model: &Path) {
    let model = model.to_str().unwrap();
    for ensemble in ["nve", "nvt", "npt"] {
        let out = dir.join(format!("md-{ensemble}"));
        let o = run(
            "md",
            &[
                "--model",
                model,
                "--ensemble",
                ensemble,
                "--steps",
                "20",
                "--log-every",
                "5",
                "--traj-every",
                "10",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let printed = text(&o.stdout);
        assert!(
            o.status.success(),
            "{ensemble}: {printed}{}",
            text(&o.stderr)
        );
        let log = std::fs::read_to_string(out.join("thermo.log")).unwrap();
        assert_eq!(log.lines().count(), 6, "{log}"); // header + steps 0..=20 by 5
        let traj = std::fs::read_to_string(out.join("trajectory.extxyz")).unwrap();
        assert_eq!(traj.matches("Lattice=").count(), 3);
        if ensemble == "nve" {
            assert!(printed.contains("energy drift"), "{printed}");
        }
    }
    let start = dir.join("out").join("silicon_sw.extxyz");
    let start = start.to_str().unwrap();
    let bad: &[(&[&str], &str)] = &[
        (
            &["--ensemble", "nxt"],
            "--ensemble nxt: must be nve, nvt or npt",
        ),
        (&["--dt", "0"], "--dt 0: must be a positive time step"),
        (&["--log-every", "0"], "--log-every 0: must be at least 1"),
        (
            &["--ensemble", "npt", "--tau-p", "-5"],
            "--tau-p -5: must be a positive time",
        ),
        (&["--start", start, "--frame", "999"], "--frame 999: "),
        (&["--model", "/nonexistent-eqv-model"], ""),
    ];
    for (args, expected) in bad {
        let mut all = vec!["--model", model, "--steps", "5", "--out"];
        let out = dir.join("md-bad");
        all.push(out.to_str().unwrap());
        all.extend_from_slice(args);
        assert_one_line_error(&run("md", &all), expected);
    }
}

#[test]
fn atoms_closer_than_any_bond_are_warned_about_before_training() {
    use eqv::classical::{silicon_dataset, SiliconDatasetConfig};
    let dir = temp_dir("close");
    let mut frames = silicon_dataset(&SiliconDatasetConfig::tiny(), 0).unwrap();
    let p = frames[2].positions[0];
    frames[2].positions[5] = [p[0] + 0.2, p[1], p[2]];
    let data = dir.join("data.extxyz");
    eqv::data::write_extxyz(&data, &frames).unwrap();
    let o = run(
        "train_potential",
        &[
            "--smoke",
            "--quiet",
            "--md-steps",
            "0",
            "--data",
            data.to_str().unwrap(),
            "--out",
            dir.join("out").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("frame 2: atoms 0 and 5 are 0.200 Å apart"),
        "{err}"
    );
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
