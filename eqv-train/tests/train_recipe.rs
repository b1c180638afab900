//! The default recipe through the whole trainer: E0 from isolated atoms
//! (which then do not train), the warning of an underdetermined E0 fit in
//! the outcome, and the late stage with its own model selection.

mod train_common;

use eqv_core::data::{Frame, Value};
use eqv_train::*;
use train_common::{sw_frames, PairModel, CUTOFF};

/// `n_h` hydrogens and `n_o` oxygens 2 Å apart on a line, with energy
/// `n_h·(−13.6) + n_o·(−432.1) − 0.5 eV per atom` and zero forces.
fn molecule(n_h: usize, n_o: usize) -> Frame {
    let numbers: Vec<u8> = std::iter::repeat_n(1, n_h)
        .chain(std::iter::repeat_n(8, n_o))
        .collect();
    let n = numbers.len();
    let positions = (0..n).map(|i| [2.0 * i as f64, 0.0, 0.0]).collect();
    let mut f = Frame::new(numbers, positions);
    f.energy = Some(n_h as f64 * -13.6 + n_o as f64 * -432.1 - 0.5 * n as f64);
    f.forces = Some(vec![[0.0; 3]; n]);
    f
}

fn isolated(z: u8, energy: f64) -> Frame {
    let mut f = Frame::new(vec![z], vec![[0.0; 3]]);
    f.energy = Some(energy);
    f.forces = Some(vec![[0.0; 3]]);
    f.info_set("config_type", Value::Str("IsolatedAtom".into()));
    f
}

fn config() -> TrainConfig {
    TrainConfig {
        cutoff: 1.0,
        epochs: 2,
        batch_size: 2,
        progress: ProgressMode::Quiet,
        check_equivariance: false,
        ..TrainConfig::default()
    }
}

#[test]
fn isolated_atoms_give_e0_and_the_binding_energy_becomes_the_shift() {
    let mut frames = vec![isolated(1, -13.6), isolated(8, -432.1)];
    frames.extend([
        molecule(2, 1),
        molecule(1, 1),
        molecule(4, 2),
        molecule(0, 2),
    ]);
    let mut model = PairModel::zero(2);
    let out = train(&mut model, &frames, &frames[2..4], &config(), &mut NoHooks).unwrap();
    assert_eq!(out.reference.e0(), &[-13.6, -432.1]);
    assert!((out.reference.shift() + 0.5).abs() < 1e-12);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    // E0 + shift reproduce every molecule: the zero model is exact, and the
    // isolated atoms (whose residual would be +0.5 eV) were not trained on.
    assert!(
        out.train_metrics.energy_mae_mev_per_atom < 1e-9,
        "{:?}",
        out.train_metrics
    );
    assert_eq!(out.train_metrics.n_frames, 4);
    // Only isolated atoms: nothing to train on, said plainly.
    let err = train(&mut model, &frames[..2], &[], &config(), &mut NoHooks).unwrap_err();
    assert!(err.to_string().contains("only isolated atoms"), "{err}");
}

#[test]
fn one_composition_leaves_e0_underdetermined_and_the_outcome_says_so() {
    let frames: Vec<Frame> = (1..=4).map(|k| molecule(2 * k, k)).collect();
    let mut model = PairModel::zero(2);
    let out = train(&mut model, &frames, &frames[..1], &config(), &mut NoHooks).unwrap();
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("underdetermined"),
        "{}",
        out.warnings[0]
    );
    // What is determined is fitted: E0 and the shift reproduce every
    // frame of that composition.
    for f in &frames {
        let offset = out.reference.offset(f).unwrap();
        assert!(
            (offset - f.energy.unwrap()).abs() < 1e-9,
            "{offset} vs {:?}",
            f.energy
        );
    }
}

#[test]
fn the_late_stage_selects_among_its_own_epochs() {
    let (train_set, valid_set) = split_frames(&sw_frames(), 0.25, 1).unwrap();
    let cfg = TrainConfig {
        cutoff: CUTOFF,
        epochs: 4,
        batch_size: 4,
        late_stage: Some(LateStage {
            start: 0.5,
            ..LateStage::default()
        }),
        ..config()
    };
    let mut model = PairModel::new(0);
    let out = train(&mut model, &train_set, &valid_set, &cfg, &mut NoHooks).unwrap();
    let late: Vec<bool> = out.history.iter().map(|r| r.late_stage).collect();
    assert_eq!(late, vec![false, false, true, true]);
    // The first late epoch is a new best whatever the early losses were:
    // an energy-heavy loss is not compared with a force-heavy one.
    assert!(
        out.history[2].best && out.best_epoch >= 3,
        "{:?}",
        out.history
    );
    // The late stage's rate: the base rate × 0.1, held.
    assert!((out.history[3].lr - cfg.lr * 0.1).abs() < 1e-15);
}

#[test]
fn clipping_on_most_steps_after_the_first_epoch_is_a_warning() {
    let (train_set, valid_set) = split_frames(&sw_frames(), 0.25, 1).unwrap();
    let cfg = |clip: f64| TrainConfig {
        cutoff: CUTOFF,
        epochs: 3,
        batch_size: 4,
        adam: AdamConfig {
            clip_norm: Some(clip),
            ..AdamConfig::default()
        },
        ..config()
    };
    let mut model = PairModel::new(0);
    // A clip far below any gradient norm: every step is clipped.
    let out = train(&mut model, &train_set, &valid_set, &cfg(1e-9), &mut NoHooks).unwrap();
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("epoch 2") && out.warnings[0].contains("clipped"));
    // A clip no gradient reaches: no warning.
    let mut model = PairModel::new(0);
    let out = train(&mut model, &train_set, &valid_set, &cfg(1e12), &mut NoHooks).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}
