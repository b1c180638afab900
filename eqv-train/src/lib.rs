//! Training interatomic potentials on energies and forces, for any eqv
//! energy model (users reach it through the facade as `eqv::train`).
//!
//! The pieces, one idea per file:
//! * [`split`]: train / validation / test splits by contiguous time blocks
//!   of MD trajectories (or per frame, seeded); the test set is never seen
//!   by the trainer;
//! * [`budget`]: neighbours per atom and memory of the graphs, estimated
//!   from the data's density before any neighbour list is built;
//! * [`e0`]: where E0 comes from (isolated atoms, else least squares, with
//!   a warning when underdetermined) and the per-atom shift;
//! * [`ema`]: the moving average of the weights that is validated and
//!   saved;
//! * [`recipe`]: the two-stage loss weights and rate (energy weight raised
//!   late) and the batch size from the data size;
//! * [`loader`]: per-species reference energies E0, frames turned into
//!   [`Batch`](eqv_core::graph::Batch)es once (neighbour lists included) and
//!   shuffled into mini-batches per epoch, deterministically from a seed;
//! * [`optimizer`]: Adam/AdamW with global-norm gradient clipping, which
//!   refuses to apply a non-finite gradient;
//! * [`schedule`]: learning-rate schedules (constant, warmup + cosine,
//!   reduce-on-plateau);
//! * [`metrics`]: the numbers the field reports (energy MAE/RMSE per atom in
//!   meV/atom, force MAE/RMSE per component in meV/Å, stress MAE/RMSE per
//!   component in meV/Å³), predictions, and
//!   [`predict_frames`] for writing them to extxyz;
//! * [`trainer`]: the loop ([`train`]) with early stopping, best-parameter
//!   restore, a wall-clock limit, divergence detection and checkpoints;
//! * [`saving`]: self-describing, atomically written checkpoints and their
//!   `model.json` sidecar, and [`read_trained`] to load them back;
//! * [`stop`]: the [`StopFlag`] a program sets (from Ctrl-C, say) to end a
//!   run cleanly; the library installs no signal handler;
//! * [`report`], [`plot`], [`progress`]: the JSON report, the learning curve
//!   (and other line charts) as SVG, the per-epoch summary line.
//!
//! The loss of a batch of structures `s` with `N_s` atoms is
//!
//! ```text
//! L = w_E · mean_s ((E_s − E*_s) / N_s)² + w_F · mean_atoms |F_i − F*_i|²
//!   + w_S · mean_s mean_ab ((σ_s − σ*_s)_ab V_s / N_s)²
//! ```
//!
//! (energy per atom, as NequIP and MACE report it; the force term is the
//! squared *vector* error per atom, i.e. three times the per-component mean
//! square error; the stress term is on the virial per atom, so that `w_S`
//! reads like `w_E`, see [`LossWeights`]). It is written once, as
//! [`Loss`](eqv_core::graph::Loss), which the trainer and the metrics
//! share. Its exact parameter gradient, force and stress terms included,
//! comes from [`loss_gradient`](eqv_core::graph::loss_gradient), whose two
//! passes run in `f32` or `f64` ([`TrainConfig::precision`]; the weights,
//! the optimiser and the loss stay `f64`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod budget;
pub mod e0;
pub mod ema;
pub mod loader;
pub mod metrics;
pub mod optimizer;
pub mod plot;
pub mod progress;
pub mod recipe;
pub mod report;
pub mod saving;
pub mod schedule;
pub mod split;
pub mod stop;
pub mod trainer;

pub use budget::{GraphEstimate, GraphLimits};
pub use e0::{fit_e0, is_isolated_atom, E0Fit, E0Source};
pub use ema::Ema;
pub use loader::{check_targets, Dataset, Loader, ReferenceEnergies};
pub use metrics::{
    evaluate, evaluate_dataset, predict_frames, LossWeights, Metrics, PredictionStorage,
    Predictions,
};
pub use optimizer::{global_norm, Adam, AdamConfig, OptimError, StepStats};
pub use plot::{chart_svg, learning_curve_svg, write_learning_curve, write_svg, Chart, Series};
pub use progress::{metric_text, summary_line, Progress, ProgressMode};
pub use recipe::{batch_size_for, LateStage};
pub use report::{check_writable, metrics_json, report_json, write_report};
pub use saving::{read_trained, sidecar_path, TrainedCheckpoint};
pub use schedule::{Schedule, Scheduler};
pub use split::{split_blocks, split_frames, split_indices, BlockSplit, SplitIndices};
pub use stop::StopFlag;
pub use trainer::{train, EpochRecord, NoHooks, StopReason, TrainConfig, TrainHooks, TrainOutcome};

use eqv_core::checkpoint::CheckpointError;
use eqv_core::data::DataError;
use std::fmt;
use std::path::PathBuf;

/// Everything that can stop a training run.
///
/// Every variant is reported, never papered over: in particular a NaN or an
/// infinity is never applied to the parameters (the optimiser checks before
/// it writes), because one non-finite step silently destroys a model.
#[derive(Debug)]
pub enum TrainError {
    /// A setting of [`TrainConfig`] (or an argument) that cannot work: a zero
    /// batch size, a negative learning rate, an empty training set.
    Config(String),
    /// Frames that cannot be used: a missing label, an unknown element in
    /// the validation set, a malformed structure.
    Data(DataError),
    /// A NaN or infinity in a target, a loss, a gradient or an updated
    /// parameter.
    ///
    /// `epoch` and `step` are 1-based; `epoch == 0` (and `step == 0`) means
    /// it was found in the data before training started. `what` names the
    /// quantity (which frame, which parameter).
    NonFinite {
        /// The epoch (1-based; 0 = while preparing the data).
        epoch: usize,
        /// The optimiser step within the epoch (1-based; 0 = not in a step).
        step: usize,
        /// What was not finite.
        what: String,
    },
    /// The loss grew far past its best: the learning rate is too high (or
    /// the data has a bad frame). `step == 0`: the validation loss after
    /// epoch `epoch`; otherwise a batch loss at that step.
    Diverged {
        /// The epoch (1-based).
        epoch: usize,
        /// The step (1-based; 0 = the validation after the epoch).
        step: usize,
        /// The best (validation) loss so far.
        from: f64,
        /// The loss that rose past the limit.
        to: f64,
    },
    /// A checkpoint could not be written.
    Checkpoint(CheckpointError),
    /// A report or plot could not be written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl TrainError {
    pub(crate) fn config(message: impl Into<String>) -> Self {
        TrainError::Config(message.into())
    }
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Config(m) => write!(f, "invalid training configuration: {m}"),
            TrainError::Data(e) => write!(f, "unusable training data: {e}"),
            TrainError::NonFinite { epoch: 0, what, .. } => write!(
                f,
                "{what} is not finite (NaN or infinite); found while preparing the data, before training: fix or drop that frame"
            ),
            TrainError::NonFinite { epoch, step, what } => write!(
                f,
                "{what} is not finite (NaN or infinite) at epoch {epoch}, step {step}; nothing was applied to the parameters. Usual causes: a learning rate that is too high (try a smaller `lr`, a warmup, or gradient clipping) or bad targets"
            ),
            TrainError::Diverged { epoch, step: 0, from, to } => write!(
                f,
                "training diverged after epoch {epoch}: the validation loss rose from {from:.3e} to {to:.3e}; lower the learning rate"
            ),
            TrainError::Diverged { epoch, step, from, to } => write!(
                f,
                "training diverged at epoch {epoch}, step {step}: the loss rose from {from:.3e} to {to:.3e}; lower the learning rate"
            ),
            TrainError::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            TrainError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for TrainError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrainError::Data(e) => Some(e),
            TrainError::Checkpoint(e) => Some(e),
            TrainError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        TrainError::Data(e)
    }
}

impl From<CheckpointError> for TrainError {
    fn from(e: CheckpointError) -> Self {
        TrainError::Checkpoint(e)
    }
}
