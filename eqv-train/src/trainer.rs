//! The training loop.
//!
//! [`train`] fits any [`EnergyModel`] to energies and forces:
//!
//! 1. checks the labels (a NaN target is reported before anything runs),
//!    builds the [`SpeciesMap`] of the training frames and takes per-species
//!    reference energies E0 from them ([`fit_e0`]: isolated atoms, else
//!    least squares, plus a per-atom shift), so the network learns
//!    `E − Σ E0 − N·shift`; isolated atoms serve E0 only;
//! 2. builds every frame's graph once (positions never change);
//! 3. per epoch: a seeded shuffle into mini-batches; per batch the exact
//!    gradient of the energy-and-force loss ([`Loss`], by
//!    [`loss_gradient`]: forward-over-reverse, in the configured
//!    [`Precision`]), computed on
//!    pieces of the batch (one structure each by default) in parallel and summed in a fixed
//!    order, then one Adam step (which refuses NaN/inf) and an update of
//!    the moving average of the weights ([`Ema`]); the loss weights and the
//!    rate follow the two-stage recipe ([`LateStage`]);
//! 4. after each epoch: validation metrics *of the averaged weights*, with
//!    the late stage's loss weights whatever the stage (one yardstick for
//!    the whole run), the schedule, early stopping, the best averaged
//!    parameters kept (and checkpointed);
//! 5. at the end: the best parameters restored, metrics of both sets, and
//!    the model's measured equivariance error.
//!
//! Everything random is drawn from `cfg.seed`, and sums are taken in a
//! fixed order whatever the number of threads: the same seed and config give
//! the same model, bit for bit.

use super::budget::{GraphEstimate, GraphLimits};
use super::e0::{fit_e0, is_isolated_atom};
use super::ema::Ema;
use super::loader::{check_targets, Dataset, Loader, ReferenceEnergies};
use super::metrics::{evaluate_dataset, LossWeights, Metrics};
use super::optimizer::{Adam, AdamConfig, OptimError};
use super::progress::{Progress, ProgressMode};
use super::recipe::{progress as run_progress, LateStage};
use super::saving::{new_run_id, CheckpointWriter};
use super::schedule::{Schedule, Scheduler};
use super::stop::StopFlag;
use super::TrainError;
use eqv_core::data::{Frame, SpeciesMap};
use eqv_core::equivariance::{check_model_equivariance, EquivarianceReport};
use eqv_core::feat::Feat;
use eqv_core::graph::{
    loss_gradient, EnergyModel, Graph, Loss, LossGradient, LossNormalisers, LossTerms, Precision,
};
use eqv_core::irrep::Scalar;
use eqv_core::kernels::parallel::on_pool;
use eqv_core::model::{kind, Model};
use eqv_core::param::{Param, Parameters};
use eqv_core::real::Real;
use rayon::prelude::*;
use serde_json::json;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// Losses below this are not a scale to diverge from: a model that is
/// already exact (loss 1e-28) drifts up a little under Adam, which moves
/// every weight by about `lr` whatever the gradient. With the default
/// weights, 1e-4 is an energy error of 10 meV/atom or a force error of
/// ~2 meV/Å: a rise from below it is not a blow-up.
const LOSS_FLOOR: f64 = 1e-4;

/// Settings of a training run. `TrainConfig::default()` is a sensible start
/// for a small potential on a few hundred structures.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Maximum number of passes over the training set.
    pub epochs: usize,
    /// Structures per optimiser step.
    pub batch_size: usize,
    /// Base learning rate (Adam). 5e-3 is NequIP's default order of
    /// magnitude; MACE uses 1e-2.
    pub lr: f64,
    /// How the learning rate changes over the run.
    pub schedule: Schedule,
    /// Adam's settings, including weight decay and gradient clipping
    /// (default: global norm clipped to 10, as MACE does).
    pub adam: AdamConfig,
    /// Loss weights `w_E`, `w_F`, `w_S` (of the early stage when
    /// [`Self::late_stage`] is set; the stress term needs stress or virial
    /// labels on periodic training frames).
    pub weights: LossWeights,
    /// The late stage of the two-stage recipe (energy weight raised,
    /// learning rate lowered and then held; see [`super::recipe`]). The
    /// validation loss of an epoch uses the weights of its stage; when the
    /// late stage begins, model selection, early stopping and divergence
    /// detection start afresh on the new loss (a loss weighted otherwise is
    /// no yardstick), so the kept model is the best of the late stage once
    /// one is validated. `None` = one stage.
    pub late_stage: Option<LateStage>,
    /// Decay of the moving average of the weights ([`Ema`]); the average
    /// is what is validated, kept and saved. `None` = the raw weights.
    pub ema_decay: Option<f64>,
    /// Neighbour cutoff (Å) used to build the graphs; must match the
    /// model's radial cutoff.
    pub cutoff: f64,
    /// Seed of the shuffles (the split and the model's initialisation have
    /// their own seeds, chosen by the caller).
    pub seed: u64,
    /// Stop after this many epochs without an improvement of the
    /// validation loss by more than `min_delta`; `None` = never.
    pub patience: Option<usize>,
    /// Smallest decrease of the validation loss that counts as an
    /// improvement (absolute, in loss units).
    pub min_delta: f64,
    /// Stop after this many minutes of wall-clock time (checked after
    /// every step; the epoch in progress is validated, then the best
    /// parameters are kept). `None` = no limit.
    pub max_minutes: Option<f64>,
    /// Where to save the best parameters (safetensors) whenever the
    /// validation loss improves (and at the end if nothing improved, so the
    /// file always holds the kept parameters); the metadata summary holds
    /// the epoch, the validation loss, the cutoff and the reference
    /// energies ([`ReferenceEnergies::from_checkpoint`]). `None` = no
    /// checkpoints.
    pub checkpoint: Option<PathBuf>,
    /// Model name stored in the checkpoint (what `load_params` checks).
    pub model_name: String,
    /// Model config stored in the checkpoint (e.g. its `Debug` form).
    pub model_config: String,
    /// Fit per-species reference energies E0 on the training set and
    /// subtract them (true), or learn total energies (false).
    pub fit_reference_energies: bool,
    /// The number type of the training passes (forces, then the parameter
    /// gradient on dual numbers). The weights, Adam's moments, the loss
    /// and its sums, and the reference energies stay `f64` either way
    /// (mixed precision); validation and the saved weights are `f64`. A
    /// batch whose `f32` loss or gradient is not finite (an overflow) is
    /// redone in `f64`.
    pub precision: Precision,
    /// Run the pieces of a batch and the evaluation on several threads
    /// (rayon, each piece its own tape). The result does not depend on it.
    pub parallel: bool,
    /// Structures per tape: a batch's gradient is computed in pieces of
    /// this many structures and summed in batch order. Part of the
    /// arithmetic (summation order), so fixed here rather than taken from
    /// the number of cores: runs are identical on every machine. 1 (the
    /// default) is also the fastest even on one thread — small tapes stay
    /// in cache (see `measure_parallel_speedup` in `tests/train_loop.rs`).
    pub structures_per_tape: usize,
    /// Measure the trained model's equivariance error at the end.
    pub check_equivariance: bool,
    /// Per-epoch summary lines and progress bar.
    pub progress: ProgressMode,
    /// A stop request polled after every step (set it from a Ctrl-C
    /// handler, a GUI, a deadline): the step in progress finishes, the
    /// epoch so far is validated, the checkpoint is written, and
    /// [`train`] returns normally with [`StopReason::Interrupted`].
    pub stop: Option<StopFlag>,
    /// Divergence detection: training stops with
    /// [`TrainError::Diverged`] when the validation loss after an epoch
    /// exceeds this factor times the best so far, or a batch loss exceeds
    /// its cube times the best (batch losses are noisier); a best below
    /// 1e-4 counts as 1e-4 (a tiny loss drifting is no blow-up). A loss that has
    /// grown tenfold does not come back by itself; going on only hides a
    /// learning rate that is too high. `None` = never.
    pub divergence_factor: Option<f64>,
    /// The largest graphs the run may build; checked on an estimate before
    /// any neighbour list is built.
    pub limits: GraphLimits,
    /// Identifies the run in its checkpoints (and their sidecar); empty =
    /// a new id from the clock and the process.
    pub run_id: String,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 100,
            batch_size: 5,
            lr: 5e-3,
            schedule: Schedule::plateau(),
            adam: AdamConfig {
                clip_norm: Some(10.0),
                ..AdamConfig::default()
            },
            weights: LateStage::early_weights(),
            late_stage: Some(LateStage::default()),
            ema_decay: Some(0.99),
            cutoff: 5.0,
            seed: 0,
            patience: Some(20),
            min_delta: 0.0,
            max_minutes: None,
            checkpoint: None,
            model_name: "eqv-model".into(),
            model_config: String::new(),
            fit_reference_energies: true,
            precision: Precision::F64,
            parallel: true,
            structures_per_tape: 1,
            check_equivariance: true,
            progress: ProgressMode::Auto,
            stop: None,
            divergence_factor: Some(10.0),
            limits: GraphLimits::default(),
            run_id: String::new(),
        }
    }
}

impl TrainConfig {
    /// Checks every setting; the error names the one that cannot work.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr = {} must be finite and positive", self.lr));
        }
        if !(self.cutoff.is_finite() && self.cutoff > 0.0) {
            return bad(format!(
                "cutoff = {} Å must be finite and positive",
                self.cutoff
            ));
        }
        let w = self.weights;
        if !(w.energy.is_finite() && w.energy >= 0.0 && w.forces.is_finite() && w.forces >= 0.0) {
            return bad(format!(
                "loss weights (energy {}, forces {}) must be finite and ≥ 0",
                w.energy, w.forces
            ));
        }
        if !(w.stress.is_finite() && w.stress >= 0.0) {
            return bad(format!(
                "stress loss weight {} must be finite and ≥ 0",
                w.stress
            ));
        }
        if w.energy == 0.0 && w.forces == 0.0 && w.stress == 0.0 {
            return bad("all loss weights are 0: nothing to train on".into());
        }
        if !(self.min_delta.is_finite() && self.min_delta >= 0.0) {
            return bad(format!("min_delta = {} must be ≥ 0", self.min_delta));
        }
        if let Some(m) = self.max_minutes {
            if m.is_nan() || m < 0.0 {
                return bad(format!("max_minutes = {m} must be ≥ 0"));
            }
        }
        if let Some(f) = self.divergence_factor {
            if !(f.is_finite() && f > 1.0) {
                return bad(format!("divergence_factor = {f} must be finite and > 1"));
            }
        }
        if self.structures_per_tape == 0 {
            return bad("structures_per_tape must be at least 1".into());
        }
        self.schedule.validate().map_err(TrainError::Config)?;
        if let Some(late) = &self.late_stage {
            late.validate().map_err(TrainError::Config)?;
        }
        if let Some(d) = self.ema_decay {
            if !(0.0..1.0).contains(&d) {
                return bad(format!("ema_decay = {d} must lie in [0, 1)"));
            }
        }
        self.adam
            .validate()
            .map_err(|e| TrainError::Config(e.to_string()))
    }
}

/// One epoch in the history.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Optimiser steps taken in this epoch.
    pub steps: usize,
    /// Mean of the batch losses over the epoch (parameters changing).
    pub train_loss: f64,
    /// Loss on the validation set after the epoch (the training-set epoch
    /// mean when there is no validation set).
    pub valid_loss: f64,
    /// Validation energy MAE (meV/atom).
    pub valid_energy_mae_mev_per_atom: f64,
    /// Validation force MAE per component (meV/Å).
    pub valid_force_mae_mev_per_a: f64,
    /// Validation force RMSE per component (meV/Å).
    pub valid_force_rmse_mev_per_a: f64,
    /// Mean global gradient norm of the epoch's steps (before clipping).
    pub grad_norm: f64,
    /// Steps whose gradient was clipped.
    pub clipped_steps: usize,
    /// Seconds this epoch took (training and validation).
    pub epoch_seconds: f64,
    /// Seconds since the run started.
    pub elapsed_seconds: f64,
    /// Whether this epoch gave the best validation loss so far.
    pub best: bool,
    /// Whether the epoch ended in the late stage of the recipe.
    pub late_stage: bool,
}

impl EpochRecord {
    /// The record as a JSON object (for the report).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "epoch": self.epoch,
            "lr": self.lr,
            "steps": self.steps,
            "train_loss": self.train_loss,
            "valid_loss": self.valid_loss,
            "valid_energy_mae_mev_per_atom": self.valid_energy_mae_mev_per_atom,
            "valid_force_mae_mev_per_a": self.valid_force_mae_mev_per_a,
            "valid_force_rmse_mev_per_a": self.valid_force_rmse_mev_per_a,
            "grad_norm": self.grad_norm,
            "clipped_steps": self.clipped_steps,
            "epoch_seconds": self.epoch_seconds,
            "elapsed_seconds": self.elapsed_seconds,
            "best": self.best,
            "late_stage": self.late_stage,
        })
    }
}

/// Why the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// All epochs ran.
    Completed,
    /// `patience` epochs without improvement.
    EarlyStopping,
    /// `max_minutes` reached.
    TimeLimit,
    /// A hook asked to stop.
    Hook,
    /// The [`TrainConfig::stop`] flag was set; the run stopped after this
    /// step (1-based epoch and step within it).
    Interrupted {
        /// The epoch in progress.
        epoch: usize,
        /// The last step taken in it.
        step: usize,
    },
}

impl StopReason {
    /// A short lower-case name (`"early_stopping"`).
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::EarlyStopping => "early_stopping",
            StopReason::TimeLimit => "time_limit",
            StopReason::Hook => "hook",
            StopReason::Interrupted { .. } => "interrupted",
        }
    }
}

/// What a finished run returns. The model itself holds the best
/// parameters.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    /// One record per epoch run.
    pub history: Vec<EpochRecord>,
    /// Validation loss of the model before training.
    pub initial_valid_loss: f64,
    /// The epoch whose parameters were kept (0: none improved on the
    /// initial model, which was kept).
    pub best_epoch: usize,
    /// Its validation loss.
    pub best_valid_loss: f64,
    /// Why training stopped.
    pub stop_reason: StopReason,
    /// The species and E0 the model's energies are relative to: a
    /// prediction is `model energy + Σ_atoms E0` (see
    /// [`predict_frames`](super::predict_frames)).
    pub reference: ReferenceEnergies,
    /// Metrics of the kept parameters on the training set.
    pub train_metrics: Metrics,
    /// Metrics of the kept parameters on the validation set.
    pub valid_metrics: Metrics,
    /// Measured equivariance of the trained model (largest relative
    /// deviation under rotations, reflections, translations, permutations,
    /// energies and forces), if checked.
    pub equivariance: Option<EquivarianceReport>,
    /// Wall-clock seconds of the whole run.
    pub train_seconds: f64,
    /// Optimiser steps taken.
    pub steps: usize,
    /// Trainable scalars of the model.
    pub n_parameters: usize,
    /// What the user should know about the data (an underdetermined E0
    /// fit, say); also printed unless the progress mode is quiet.
    pub warnings: Vec<String>,
}

/// Callbacks into a running training loop. Every method has a default that
/// does nothing.
pub trait TrainHooks {
    /// After every optimiser step (1-based epoch and step, the batch loss).
    fn on_step(&mut self, epoch: usize, step: usize, loss: f64) {
        let _ = (epoch, step, loss);
    }
    /// After every epoch; `ControlFlow::Break(())` stops training (the best
    /// parameters are still restored).
    fn on_epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()> {
        let _ = record;
        ControlFlow::Continue(())
    }
}

/// Hooks that do nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;
impl TrainHooks for NoHooks {}

/// An [`EnergyModel`] seen as a [`Model`] with `Energy` output, for the
/// equivariance check. Read-only: `visit_mut` visits nothing.
struct AsModel<'a, M>(&'a M);

impl<M: Parameters> Parameters for AsModel<'_, M> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.0.visit(prefix, f)
    }
    fn visit_mut(&mut self, _prefix: &str, _f: &mut dyn FnMut(&str, &mut Param)) {}
}

impl<M: EnergyModel + Parameters + Sync> Model for AsModel<'_, M> {
    type Output = kind::Energy;
    #[allow(refining_impl_trait)]
    fn predict<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        self.0.energy(graph)
    }
}

fn snapshot(model: &impl Parameters) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    model.visit("", &mut |_, p| out.push(p.data().to_vec()));
    out
}

fn restore(model: &mut impl Parameters, saved: &[Vec<f64>]) {
    let mut k = 0;
    model.visit_mut("", &mut |_, p| {
        if let Some(s) = saved.get(k) {
            if s.len() == p.len() {
                p.data_mut().copy_from_slice(s);
            }
        }
        k += 1;
    });
}

/// Loss and gradient of one batch, the batch split into pieces of
/// `per_tape` structures whose gradients are summed in order, the passes
/// run in `precision` (the sums in `f64`).
fn batch_gradient<M: EnergyModel + Parameters + Sync>(
    model: &M,
    data: &Dataset,
    indices: &[usize],
    weights: LossWeights,
    per_tape: usize,
    parallel: bool,
    precision: Precision,
) -> Result<(f64, Vec<Vec<f64>>), TrainError> {
    let n_atoms = indices
        .iter()
        .filter_map(|&i| data.sample(i))
        .map(|b| b.num_atoms())
        .sum::<usize>();
    let parts: Vec<&[usize]> = indices.chunks(per_tape.max(1)).collect();
    // Every piece divides by the counts of the whole batch, so the pieces'
    // losses and gradients add up to the batch's.
    let normalisers = LossNormalisers {
        energy_structures: indices.len(),
        force_atoms: n_atoms,
        stress_structures: indices.len(),
    };
    let loss = Loss::new(weights, normalisers);
    let stress = weights.stress != 0.0;
    let run = |part: &&[usize]| -> Result<LossGradient, TrainError> {
        let b = data.batch(part);
        let structures = b.num_structures();
        let mut mismatch = None;
        let lg = loss_gradient(model, &b, precision, stress, |e, f, s| {
            if e.len() != structures {
                mismatch = Some(e.len());
                return LossTerms {
                    value: f64::NAN,
                    d_energies: vec![0.0; e.len()],
                    d_forces: vec![[0.0; 3]; f.len()],
                    d_stresses: Vec::new(),
                };
            }
            loss.terms(&b, e, f, s)
        });
        if let Some(got) = mismatch {
            return Err(TrainError::config(format!(
                "the model returned {got} energies for a batch of {structures} structures; an energy model returns one Scalar per structure"
            )));
        }
        Ok(lg)
    };
    let results: Vec<Result<LossGradient, TrainError>> = if parallel && parts.len() > 1 {
        parts.par_iter().map(run).collect()
    } else {
        // In order, but on a worker of the pool all the same: the large ops
        // of a big structure then split across the cores without a
        // hand-over from this thread per op (`parallel::on_pool`).
        on_pool(|| parts.iter().map(run).collect())
    };
    let mut loss = 0.0;
    let mut grads: Vec<Vec<f64>> = Vec::new();
    for r in results {
        let lg = r?;
        loss += lg.loss;
        if grads.is_empty() {
            grads = lg.grads.into_iter().map(|(_, g)| g).collect();
        } else {
            for (acc, (_, g)) in grads.iter_mut().zip(lg.grads) {
                for (a, b) in acc.iter_mut().zip(g) {
                    *a += b;
                }
            }
        }
    }
    Ok((loss, grads))
}

/// Trains `model` on `train`, validating on `valid`, and leaves the best
/// parameters (lowest validation loss) in the model.
///
/// `valid` may be empty; early stopping and the best-parameter choice then
/// use the epoch's mean training loss. Errors: an unusable config or data
/// ([`TrainError::Config`], [`TrainError::Data`]), a NaN/inf target, loss,
/// gradient or update ([`TrainError::NonFinite`], with epoch and step — the
/// model then keeps its best parameters so far), a checkpoint that cannot
/// be written, graphs past [`TrainConfig::limits`], and divergence
/// ([`TrainError::Diverged`]).
///
/// With [`TrainConfig::checkpoint`] set, the initial model is saved before
/// the first step (so the file never holds another run's weights), the
/// best parameters whenever the validation loss improves, and the kept
/// parameters at the end, also after an interruption or a divergence.
pub fn train<M: EnergyModel + Parameters + Sync>(
    model: &mut M,
    train: &[Frame],
    valid: &[Frame],
    cfg: &TrainConfig,
    hooks: &mut dyn TrainHooks,
) -> Result<TrainOutcome, TrainError> {
    let start = Instant::now();
    cfg.validate()?;
    if train.is_empty() {
        return Err(TrainError::config("the training set is empty"));
    }
    let w = cfg.weights;
    check_targets(train, "training", w.energy != 0.0, w.forces != 0.0)?;
    check_targets(valid, "validation", w.energy != 0.0, w.forces != 0.0)?;
    let has_stress = |f: &Frame| f.pbc == [true; 3] && (f.stress.is_some() || f.virial.is_some());
    if w.stress != 0.0 && !train.iter().any(has_stress) {
        return Err(TrainError::Data(eqv_core::data::DataError::invalid(format!(
            "the loss has a stress term (weight {}), but no training frame has a stress or virial label in a cell periodic in all three directions",
            w.stress
        ))));
    }
    let species = SpeciesMap::from_frames(train);
    let mut warnings = Vec::new();
    let reference = if cfg.fit_reference_energies && train.iter().any(|f| f.energy.is_some()) {
        let fit = fit_e0(train, &species)?;
        warnings = fit.warnings;
        fit.reference
    } else {
        ReferenceEnergies::zeros(&species)
    };
    // Isolated atoms gave E0; a graph without edges teaches nothing else.
    let kept: Vec<Frame>;
    let train = if cfg.fit_reference_energies && train.iter().any(is_isolated_atom) {
        kept = train
            .iter()
            .filter(|f| !is_isolated_atom(f))
            .cloned()
            .collect();
        if kept.is_empty() {
            return Err(TrainError::config(
                "the training set holds only isolated atoms",
            ));
        }
        &kept[..]
    } else {
        train
    };

    let estimate = GraphEstimate::of(train, cfg.cutoff);
    let valid_estimate = GraphEstimate::of(valid, cfg.cutoff);
    let both = GraphEstimate {
        atoms: estimate.atoms + valid_estimate.atoms,
        edges: estimate.edges + valid_estimate.edges,
        bytes: estimate.bytes + valid_estimate.bytes,
        neighbors_per_atom: (estimate.edges + valid_estimate.edges)
            / (estimate.atoms + valid_estimate.atoms).max(1) as f64,
        ..estimate
    };
    both.check(&cfg.limits)
        .map_err(|m| TrainError::config(format!("cutoff = {} Å: {m}", cfg.cutoff)))?;
    let train_data = Dataset::new(train, cfg.cutoff, &reference, "training")?;
    let valid_data = Dataset::new(valid, cfg.cutoff, &reference, "validation")?;
    let loader = Loader::new(train_data.len(), cfg.batch_size, cfg.seed)?;
    let mut scheduler = Scheduler::new(
        cfg.schedule.clone(),
        cfg.lr,
        loader.num_batches(),
        cfg.epochs,
    );
    let mut adam = Adam::new(cfg.adam.clone());
    let limit = cfg.max_minutes.map(|m| m * 60.0);
    let mut progress = Progress::new(
        cfg.progress,
        cfg.epochs,
        loader.num_batches(),
        limit.and_then(|s| std::time::Duration::try_from_secs_f64(s).ok()),
    );
    for m in &warnings {
        progress.message(&format!("warning: {m}"));
    }
    let n_parameters = model.num_params();
    let planned_steps = cfg.epochs * loader.num_batches();
    let mut ema = match cfg.ema_decay {
        Some(d) => Some(Ema::new(&*model, d).map_err(TrainError::Config)?),
        None => None,
    };

    let monitor_set = if valid_data.is_empty() {
        &train_data
    } else {
        &valid_data
    };
    let (initial, _) = evaluate_dataset(model, monitor_set, w, cfg.parallel)?;
    if !initial.loss.is_finite() {
        return Err(TrainError::NonFinite {
            epoch: 0,
            step: 0,
            what: "the loss of the untrained model".into(),
        });
    }
    let mut writer = cfg.checkpoint.as_ref().map(|path| {
        CheckpointWriter::new(
            path.clone(),
            if cfg.run_id.is_empty() {
                new_run_id()
            } else {
                cfg.run_id.clone()
            },
            cfg.model_name.clone(),
            cfg.model_config.clone(),
            reference.clone(),
            cfg.cutoff,
        )
    });
    if let Some(w) = writer.as_mut() {
        w.save(&*model, 0, initial.loss, "initial")?;
    }
    let mut best = snapshot(model);
    let mut best_loss = initial.loss;
    let mut best_epoch = 0;
    let mut bad_epochs = 0;
    let mut history: Vec<EpochRecord> = Vec::new();
    let mut global_step = 0usize;
    let mut stop_reason = StopReason::Completed;
    let mut late = false;
    let mut late_lr = cfg.lr;
    let mut clip_warned = false;

    for epoch in 1..=cfg.epochs {
        let epoch_start = Instant::now();
        let (mut loss_sum, mut steps, mut norm_sum, mut clipped, mut lr) =
            (0.0, 0usize, 0.0, 0usize, cfg.lr);
        let mut time_up = false;
        let mut interrupted = None;
        for (s, indices) in loader.epoch(epoch).iter().enumerate() {
            let step = s + 1;
            let p = run_progress(
                global_step,
                planned_steps,
                start.elapsed().as_secs_f64(),
                limit,
            );
            if let Some(l) = cfg.late_stage.filter(|l| !late && l.active(p)) {
                late = true;
                late_lr = scheduler.lr(global_step).min(cfg.lr * l.lr_factor);
                best_loss = f64::INFINITY;
                bad_epochs = 0;
                progress.message(&format!(
                    "late stage from epoch {epoch}, step {step}: energy weight {}, force weight {:.3}, lr {late_lr:.2e}",
                    l.weights.energy, l.weights.forces
                ));
            }
            let w = match cfg.late_stage {
                Some(l) if late => l.weights_from(cfg.weights),
                _ => w,
            };
            lr = if late {
                late_lr
            } else {
                scheduler.lr(global_step)
            };
            let gradient = |precision| {
                batch_gradient(
                    &*model,
                    &train_data,
                    indices,
                    w,
                    cfg.structures_per_tape,
                    cfg.parallel,
                    precision,
                )
            };
            let result = gradient(cfg.precision)
                .and_then(|(loss, grads)| {
                    // f32 overflows (to inf, then NaN) where f64 still has
                    // a number: such a batch is redone in f64, so that a
                    // blow-up is reported as one and a transient spike
                    // trains on.
                    let finite = loss.is_finite() && grads.iter().flatten().all(|g| g.is_finite());
                    if finite || cfg.precision == Precision::F64 {
                        Ok((loss, grads))
                    } else {
                        gradient(Precision::F64)
                    }
                })
                .and_then(|(loss, grads)| {
                    // A loss that has run off (to infinity, or a thousandfold
                    // past the best) is reported as such *before* its
                    // gradient is applied: the message names the cause.
                    let limit = cfg.divergence_factor.map(|f| f.powi(3) * best_loss.max(LOSS_FLOOR));
                    if loss.is_infinite() && global_step > 0 || limit.is_some_and(|l| loss > l) {
                        return Err(TrainError::Diverged {
                            epoch,
                            step,
                            from: best_loss,
                            to: loss,
                        });
                    }
                    if !loss.is_finite() {
                        return Err(TrainError::NonFinite {
                            epoch,
                            step,
                            what: format!("the training loss ({loss}) of the batch of training frames {indices:?}"),
                        });
                    }
                    let stats = adam.step(model, &grads, lr).map_err(|e| match e {
                        OptimError::NonFinite { what } => TrainError::NonFinite { epoch, step, what },
                        OptimError::Shape(m) | OptimError::Config(m) => TrainError::Config(m),
                    })?;
                    if let Some(ema) = ema.as_mut() {
                        ema.update(&*model);
                    }
                    Ok((loss, stats))
                });
            let (loss, stats) = match result {
                Ok(x) => x,
                Err(e) => {
                    restore(model, &best);
                    progress.finish();
                    if let Some(w) = writer.as_mut() {
                        w.save(&*model, best_epoch, best_loss, "failed")?;
                    }
                    return Err(e);
                }
            };
            global_step += 1;
            steps += 1;
            loss_sum += loss;
            norm_sum += stats.grad_norm;
            clipped += usize::from(stats.clipped);
            hooks.on_step(epoch, step, loss);
            progress.step(epoch, step, loss);
            if limit.is_some_and(|l| start.elapsed().as_secs_f64() >= l) {
                time_up = true;
                break;
            }
            if cfg.stop.as_ref().is_some_and(StopFlag::is_requested) {
                interrupted = Some(StopReason::Interrupted { epoch, step });
                break;
            }
        }
        let train_loss = loss_sum / steps.max(1) as f64;
        // Clipping tames the rare spike (and the large gradients of a
        // freshly initialised network in the first epoch); when it still
        // acts on most steps after that, it is holding back a learning rate
        // that is too high and hides the divergence the loss would show.
        // Say so (once per run).
        if epoch > 1 && steps >= 4 && 2 * clipped > steps && !clip_warned {
            clip_warned = true;
            let m = format!(
                "the gradient norm was clipped to {} in {clipped} of {steps} steps of epoch {epoch} (mean norm {:.3e}): clipping, not the learning rate, sets the step size; consider a lower learning rate",
                cfg.adam.clip_norm.unwrap_or(f64::INFINITY),
                norm_sum / steps as f64
            );
            progress.message(&format!("warning: {m}"));
            warnings.push(m);
        }
        // Validate (and keep, and save) the averaged weights; the raw ones
        // come back before the next step.
        if let Some(ema) = ema.as_mut() {
            ema.swap(model);
        }
        let stage_weights = match cfg.late_stage {
            Some(l) if late => l.weights_from(cfg.weights),
            _ => w,
        };
        let (vm, _) = evaluate_dataset(&*model, &valid_data, stage_weights, cfg.parallel)?;
        let monitored = if valid_data.is_empty() {
            train_loss
        } else {
            vm.loss
        };
        let failure = if !monitored.is_finite() {
            Some(TrainError::NonFinite {
                epoch,
                step: 0,
                what: "the validation loss after the epoch".into(),
            })
        } else {
            match cfg.divergence_factor {
                Some(f) if monitored > f * best_loss.max(LOSS_FLOOR) => {
                    Some(TrainError::Diverged {
                        epoch,
                        step: 0,
                        from: best_loss,
                        to: monitored,
                    })
                }
                _ => None,
            }
        };
        if let Some(e) = failure {
            if let Some(ema) = ema.as_mut() {
                ema.swap(model);
            }
            restore(model, &best);
            progress.finish();
            if let Some(w) = writer.as_mut() {
                w.save(&*model, best_epoch, best_loss, "failed")?;
            }
            return Err(e);
        }
        let improved = monitored < best_loss - cfg.min_delta;
        if improved {
            best = snapshot(model);
            best_loss = monitored;
            best_epoch = epoch;
            bad_epochs = 0;
            if let Some(w) = writer.as_mut() {
                w.save(&*model, epoch, monitored, "best")?;
            }
        } else {
            bad_epochs += 1;
        }
        if let Some(ema) = ema.as_mut() {
            ema.swap(model);
        }
        if !late {
            scheduler.end_epoch(monitored);
        }
        let record = EpochRecord {
            epoch,
            lr,
            steps,
            train_loss,
            valid_loss: monitored,
            valid_energy_mae_mev_per_atom: vm.energy_mae_mev_per_atom,
            valid_force_mae_mev_per_a: vm.force_mae_mev_per_a,
            valid_force_rmse_mev_per_a: vm.force_rmse_mev_per_a,
            grad_norm: norm_sum / steps.max(1) as f64,
            clipped_steps: clipped,
            epoch_seconds: epoch_start.elapsed().as_secs_f64(),
            elapsed_seconds: start.elapsed().as_secs_f64(),
            best: improved,
            late_stage: late,
        };
        progress.epoch(&record);
        let control = hooks.on_epoch_end(&record);
        history.push(record);
        if let Some(reason) = interrupted {
            stop_reason = reason;
            break;
        }
        if time_up || limit.is_some_and(|l| start.elapsed().as_secs_f64() >= l) {
            stop_reason = StopReason::TimeLimit;
            break;
        }
        if control.is_break() {
            stop_reason = StopReason::Hook;
            break;
        }
        if cfg.patience.is_some_and(|p| bad_epochs >= p) {
            stop_reason = StopReason::EarlyStopping;
            break;
        }
    }
    progress.finish();
    restore(model, &best);
    if let Some(w) = writer.as_mut() {
        // The kept parameters, whatever stopped the run.
        w.save(&*model, best_epoch, best_loss, stop_reason.name())?;
    }

    let final_weights = match cfg.late_stage {
        Some(l) if late => l.weights_from(cfg.weights),
        _ => w,
    };
    let (train_metrics, _) = evaluate_dataset(&*model, &train_data, final_weights, cfg.parallel)?;
    let (valid_metrics, _) = evaluate_dataset(&*model, &valid_data, final_weights, cfg.parallel)?;
    let equivariance = if cfg.check_equivariance {
        let sample = valid_data.sample(0).or_else(|| train_data.sample(0));
        sample.map(|b| check_model_equivariance(&AsModel(&*model), b, cfg.seed))
    } else {
        None
    };
    Ok(TrainOutcome {
        history,
        initial_valid_loss: initial.loss,
        best_epoch,
        best_valid_loss: best_loss,
        stop_reason,
        reference,
        train_metrics,
        valid_metrics,
        equivariance,
        train_seconds: start.elapsed().as_secs_f64(),
        steps: global_step,
        n_parameters,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqv_core::classical::{silicon_dataset, SiliconDatasetConfig};
    use eqv_core::irrep::Scalar;
    use eqv_core::ops::activation::Tanh;
    use eqv_core::ops::linear::Linear;
    use eqv_core::param::join_path;
    use eqv_core::rng::Rng;

    /// `E = Σ_atoms (c + ½ Σ_edges w2·tanh(w1·d + b1))`.
    struct Tiny {
        l1: Linear<Scalar, Scalar>,
        l2: Linear<Scalar, Scalar>,
        c: Linear<Scalar, Scalar>,
    }

    impl EnergyModel for Tiny {
        fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
            let d = g.edge_vectors().norm();
            let pair = self.l2.forward(self.l1.forward(d).activate(Tanh));
            let c = self.c.forward(g.species_one_hot(1));
            g.sum_over_atoms(g.scatter_sum(pair).scale_by(0.5) + c)
        }
    }

    impl Parameters for Tiny {
        fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
            self.l1.visit(&join_path(prefix, "l1"), f);
            self.l2.visit(&join_path(prefix, "l2"), f);
            self.c.visit(&join_path(prefix, "c"), f);
        }
        fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
            self.l1.visit_mut(&join_path(prefix, "l1"), f);
            self.l2.visit_mut(&join_path(prefix, "l2"), f);
            self.c.visit_mut(&join_path(prefix, "c"), f);
        }
    }

    /// The batch loss by direct evaluation (no gradient code involved; the
    /// stress is the first derivative `∂E/∂ε / V`, checked against strain
    /// finite differences in `tests/graph_stress.rs`).
    fn direct_loss(model: &Tiny, data: &Dataset, idx: &[usize], w: LossWeights) -> f64 {
        let (mut e_term, mut f_term, mut s_term, mut atoms) = (0.0, 0.0, 0.0, 0usize);
        for &i in idx {
            let b = data.sample(i).unwrap();
            let (e, f, stress) = super::super::metrics::predict_sample(model, b).unwrap();
            let n = b.num_atoms();
            e_term += ((e - b.energies().unwrap()[0]) / n as f64).powi(2);
            for (p, t) in f.iter().zip(b.forces().unwrap()) {
                f_term += (0..3).map(|a| (p[a] - t[a]).powi(2)).sum::<f64>();
            }
            if let (Some(p), Some(t)) = (stress, b.stresses()[0]) {
                let scale = b.volume(0).unwrap() / n as f64;
                for a in 0..3 {
                    for c in 0..3 {
                        s_term += ((p[a][c] - t[a][c]) * scale).powi(2) / 9.0;
                    }
                }
            }
            atoms += n;
        }
        let k = idx.len() as f64;
        w.energy * e_term / k + w.forces * f_term / atoms as f64 + w.stress * s_term / k
    }

    #[test]
    fn batch_gradient_matches_finite_differences_for_any_chunking() {
        let frames = silicon_dataset(&SiliconDatasetConfig::tiny(), 2).unwrap();
        let species = SpeciesMap::from_frames(&frames);
        let reference = ReferenceEnergies::fit(&frames, &species).unwrap();
        // Five periodic frames with stress labels and one cluster without.
        let mut some: Vec<Frame> = frames[..5].to_vec();
        some.push(frames.last().unwrap().clone());
        assert!(some[5].cell.is_none() && some[0].stress.is_some());
        let data = Dataset::new(&some, 3.78, &reference, "test").unwrap();
        let mut rng = Rng::new(1);
        let mut model = Tiny {
            l1: Linear::with_bias(1, 4, &mut rng),
            l2: Linear::new(4, 1, &mut rng),
            c: Linear::new(1, 1, &mut rng),
        };
        let w = LossWeights {
            energy: 3.0,
            forces: 0.7,
            stress: 2.0,
        };
        let idx = [4, 0, 5, 2, 1, 3];
        let (loss, grads) =
            batch_gradient(&model, &data, &idx, w, 5, false, Precision::F64).unwrap();
        assert!((loss - direct_loss(&model, &data, &idx, w)).abs() < 1e-12 * loss);
        for per_tape in [5, 3, 2, 1] {
            let (l2, g2) =
                batch_gradient(&model, &data, &idx, w, per_tape, true, Precision::F64).unwrap();
            assert!((l2 - loss).abs() < 1e-12 * loss);
            for (a, b) in grads.iter().flatten().zip(g2.iter().flatten()) {
                assert!(
                    (a - b).abs() < 1e-10 * (1.0 + a.abs()),
                    "{per_tape} per tape: {a} vs {b}"
                );
            }
        }
        let h = 1e-6;
        let mut k = 0;
        for (p, gp) in grads.iter().enumerate() {
            for (i, &g) in gp.iter().enumerate() {
                let shift = |m: &mut Tiny, dx: f64| {
                    let mut q = 0;
                    m.visit_mut("", &mut |_, par| {
                        if q == p {
                            par.data_mut()[i] += dx;
                        }
                        q += 1;
                    });
                };
                shift(&mut model, h);
                let lp = direct_loss(&model, &data, &idx, w);
                shift(&mut model, -2.0 * h);
                let lm = direct_loss(&model, &data, &idx, w);
                shift(&mut model, h);
                let fd = (lp - lm) / (2.0 * h);
                assert!(
                    (fd - g).abs() < 1e-5 * (1.0 + g.abs()),
                    "param {p}[{i}]: fd {fd} vs {g}"
                );
                k += 1;
            }
        }
        assert_eq!(k, model.num_params());
    }

    #[test]
    fn f32_passes_give_the_f64_gradient_to_single_precision() {
        let frames = silicon_dataset(&SiliconDatasetConfig::tiny(), 3).unwrap();
        let species = SpeciesMap::from_frames(&frames);
        let reference = ReferenceEnergies::fit(&frames, &species).unwrap();
        let some: Vec<Frame> = frames[..4].to_vec();
        let data = Dataset::new(&some, 3.78, &reference, "test").unwrap();
        let mut rng = Rng::new(2);
        let model = Tiny {
            l1: Linear::with_bias(1, 4, &mut rng),
            l2: Linear::new(4, 1, &mut rng),
            c: Linear::new(1, 1, &mut rng),
        };
        let w = LossWeights {
            energy: 3.0,
            forces: 0.7,
            stress: 2.0,
        };
        let idx = [3, 1, 0, 2];
        let (l64, g64) = batch_gradient(&model, &data, &idx, w, 1, false, Precision::F64).unwrap();
        let (l32, g32) = batch_gradient(&model, &data, &idx, w, 1, false, Precision::F32).unwrap();
        assert!((l32 - l64).abs() < 1e-5 * l64, "loss {l32} vs {l64}");
        let scale = g64.iter().flatten().fold(0.0_f64, |m, g| m.max(g.abs()));
        let worst = g32
            .iter()
            .flatten()
            .zip(g64.iter().flatten())
            .fold(0.0_f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst < 1e-4 * scale, "gradient error {worst} of {scale}");
        // Not the f64 numbers exactly: the passes did run in f32.
        assert!(worst > 0.0);
    }
}
