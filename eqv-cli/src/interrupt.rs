//! Ctrl-C as a clean stop: the first finishes the current step and lets
//! the run write its checkpoint and report; the second quits at once.

use eqv::train::StopFlag;

/// A stop flag set by Ctrl-C (SIGINT). If no handler can be installed the
/// run goes on with a warning: Ctrl-C then ends it without a checkpoint.
pub fn stop_on_ctrl_c() -> StopFlag {
    let stop = StopFlag::new();
    let on_signal = stop.clone();
    if let Err(e) = ctrlc::set_handler(move || {
        if on_signal.is_requested() {
            eprintln!("\nsecond Ctrl-C: quitting now, without checkpoint or report");
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: finishing the current step, then writing the checkpoint and the report (Ctrl-C again quits at once)");
        on_signal.request();
    }) {
        eprintln!("warning: no Ctrl-C handler ({e}); Ctrl-C will end the run without a checkpoint");
    }
    stop
}
