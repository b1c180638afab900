//! A request to stop training, polled by the loop after every step.
//!
//! The library installs no signal handler: what stops a run is the
//! program's business (Ctrl-C in a command-line tool, a button in a GUI, a
//! deadline in a service). The program keeps a clone of a [`StopFlag`],
//! sets it from wherever it learns that the run should end, and
//! [`train`](super::train) finishes the step in progress, validates,
//! writes the checkpoint and returns normally with
//! [`StopReason::Interrupted`](super::StopReason::Interrupted), so the
//! caller still writes its report.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A shared "please stop" flag. Clones share the flag; two flags are equal
/// when they are the same flag.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop after its current step. Safe to call from a
    /// signal handler's thread.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl PartialEq for StopFlag {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
