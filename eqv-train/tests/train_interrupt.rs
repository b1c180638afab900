//! Runs that end early end cleanly: a stop request (what a Ctrl-C handler
//! sets) leaves a checkpoint the evaluation path loads; a diverging loss
//! is an error that says "lower the learning rate" with both losses;
//! inputs that cannot work are refused before heavy work, and a metric
//! without labels is printed as "no labels", never NaN.

mod train_common;

use eqv_core::data::Frame;
use eqv_train::*;
use std::time::Instant;
use train_common::{sw_frames, PairModel, CUTOFF};

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("eqv-interrupt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config() -> TrainConfig {
    TrainConfig {
        epochs: 50,
        batch_size: 4,
        lr: 1e-2,
        schedule: Schedule::Constant,
        cutoff: CUTOFF,
        patience: None,
        progress: ProgressMode::Quiet,
        check_equivariance: false,
        model_name: "PairModel".into(),
        model_config: "{}".into(),
        ..TrainConfig::default()
    }
}

fn sets() -> (Vec<Frame>, Vec<Frame>) {
    split_frames(&sw_frames()[..24], 0.25, 2).unwrap()
}

/// Requests a stop at one step, as a signal handler would.
struct StopAt {
    flag: StopFlag,
    at: (usize, usize),
}
impl TrainHooks for StopAt {
    fn on_step(&mut self, epoch: usize, step: usize, _loss: f64) {
        if (epoch, step) == self.at {
            self.flag.request();
        }
    }
}

#[test]
fn a_stop_request_ends_the_run_with_a_checkpoint_that_evaluation_loads() {
    let (train_set, valid_set) = sets();
    let dir = temp_dir("stop");
    let weights = dir.join("model.safetensors");
    let flag = StopFlag::new();
    let cfg = TrainConfig {
        checkpoint: Some(weights.clone()),
        stop: Some(flag.clone()),
        ..config()
    };
    let mut hooks = StopAt {
        flag: flag.clone(),
        at: (2, 3),
    };
    let mut model = PairModel::new(3);
    let out = train(&mut model, &train_set, &valid_set, &cfg, &mut hooks).unwrap();
    assert_eq!(
        out.stop_reason,
        StopReason::Interrupted { epoch: 2, step: 3 }
    );
    assert_eq!(out.stop_reason.name(), "interrupted");
    assert_eq!(out.history.len(), 2, "the interrupted epoch is validated");
    assert_eq!(out.history[1].steps, 3);

    // The evaluation path: the checkpoint alone gives the model, its E0
    // and its cutoff, and the same predictions as the model in memory.
    let trained = read_trained(&weights).unwrap();
    assert_eq!(trained.checkpoint.meta("state"), Some("interrupted"));
    assert_eq!(trained.epoch, out.best_epoch);
    let mut loaded = PairModel::zero(1);
    trained
        .checkpoint
        .load_into(&mut loaded, "PairModel")
        .unwrap();
    assert_eq!(loaded.flat(), model.flat());
    let (m, _) = evaluate(
        &loaded,
        &valid_set,
        trained.cutoff,
        &trained.reference,
        cfg.weights,
    )
    .unwrap();
    assert!((m.loss - out.valid_metrics.loss).abs() <= 1e-12 * m.loss);
    assert!(m.force_mae_mev_per_a.is_finite());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_absurd_learning_rate_is_reported_as_divergence() {
    let (train_set, valid_set) = sets();
    let dir = temp_dir("diverge");
    let weights = dir.join("model.safetensors");
    let cfg = TrainConfig {
        lr: 1e6,
        checkpoint: Some(weights.clone()),
        ..config()
    };
    let mut model = PairModel::new(3);
    let e = train(&mut model, &train_set, &valid_set, &cfg, &mut NoHooks).unwrap_err();
    let TrainError::Diverged { from, to, .. } = e else {
        panic!("expected divergence, got {e}");
    };
    assert!(to > 1e3 * from);
    let msg = e.to_string();
    assert!(
        msg.contains("the loss rose from") && msg.ends_with("lower the learning rate"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    // The file holds the parameters from before the blow-up, all finite.
    let trained = read_trained(&weights).unwrap();
    assert_eq!(trained.checkpoint.meta("state"), Some("failed"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_cutoff_that_would_exhaust_memory_is_refused_before_any_list_is_built() {
    let (train_set, valid_set) = sets();
    let t = Instant::now();
    let cfg = TrainConfig {
        cutoff: 50.0,
        ..config()
    };
    let e = train(
        &mut PairModel::new(0),
        &train_set,
        &valid_set,
        &cfg,
        &mut NoHooks,
    )
    .unwrap_err()
    .to_string();
    assert!(t.elapsed().as_secs_f64() < 5.0, "took {:?}", t.elapsed());
    assert!(
        e.contains("cutoff = 50 Å: about") && e.contains("neighbours per atom"),
        "{e}"
    );
    assert!(e.ends_with("lower the cutoff"), "{e}");
    for bad in [0.0, -1.0, f64::NAN] {
        let cfg = TrainConfig {
            cutoff: bad,
            ..config()
        };
        let e = train(
            &mut PairModel::new(0),
            &train_set,
            &valid_set,
            &cfg,
            &mut NoHooks,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("cutoff") && e.contains("must be finite and positive"),
            "{e}"
        );
    }
    let estimate = GraphEstimate::of(&train_set, CUTOFF);
    assert!(estimate.neighbors_per_atom > 1.0 && estimate.neighbors_per_atom < 30.0);
    assert!(estimate.check(&GraphLimits::default()).is_ok());
}

#[test]
fn metrics_without_labels_are_never_printed_as_nan() {
    assert_eq!(metric_text(f64::NAN, 1), "no labels");
    assert_eq!(metric_text(12.345, 1), "12.3");
    let (train_set, _) = sets();
    let unlabelled: Vec<Frame> = train_set
        .iter()
        .take(3)
        .map(|f| Frame {
            energy: None,
            forces: None,
            ..f.clone()
        })
        .collect();
    let species = eqv_core::data::SpeciesMap::from_frames(&train_set);
    let reference = ReferenceEnergies::zeros(&species);
    let (m, pred) = evaluate(
        &PairModel::new(0),
        &unlabelled,
        CUTOFF,
        &reference,
        LossWeights::default(),
    )
    .unwrap();
    assert_eq!(pred.energies.len(), 3);
    assert_eq!(metric_text(m.energy_mae_mev_per_atom, 2), "no labels");
    assert!(metrics_json(&m)["force_mae_mev_per_a"].is_null());
    let record = EpochRecord {
        epoch: 1,
        lr: 1e-2,
        steps: 1,
        train_loss: 0.5,
        valid_loss: f64::NAN,
        valid_energy_mae_mev_per_atom: f64::NAN,
        valid_force_mae_mev_per_a: f64::NAN,
        valid_force_rmse_mev_per_a: f64::NAN,
        grad_norm: 1.0,
        clipped_steps: 0,
        epoch_seconds: 0.1,
        elapsed_seconds: 0.1,
        best: false,
        late_stage: false,
    };
    let line = summary_line(&record, 10);
    assert!(!line.to_lowercase().contains("nan"), "{line}");
    assert!(line.contains("E no labels"), "{line}");
}

#[test]
fn a_report_path_that_cannot_be_written_is_found_before_training() {
    let dir = temp_dir("report");
    let e = check_writable(&dir).unwrap_err();
    assert!(e.contains("is a directory"), "{e}");
    let e = check_writable(dir.join("missing/report.json")).unwrap_err();
    assert!(e.contains("cannot be written"), "{e}");
    let ok = dir.join("report.json");
    check_writable(&ok).unwrap();
    assert!(!ok.exists(), "the probe leaves nothing behind");
    std::fs::write(&ok, "keep").unwrap();
    check_writable(&ok).unwrap();
    assert_eq!(std::fs::read_to_string(&ok).unwrap(), "keep");
    std::fs::remove_dir_all(&dir).ok();
}
