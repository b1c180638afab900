//! The error gallery: every rule of equivariance fails to compile with a
//! message that names the irrep, the rule and the fix, and legitimate models
//! compile (no false alarms). Index: `tests/ui/README.md`.
//!
//! The `.stderr` snapshots are tied to the compiler they were made with
//! (rustc 1.95): another rustc words its diagnostics differently, so there
//! only the legitimate models are compiled (they must compile everywhere)
//! and the failing cases are skipped with a note, as thiserror and axum
//! gate theirs. After a deliberate change to a message, regenerate them
//! with `TRYBUILD=overwrite cargo test --test ui` and review the diff as
//! text a user will read.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    if snapshots_are_from_this_compiler() {
        t.compile_fail("tests/ui/*/fail/*.rs");
    } else {
        eprintln!("note: tests/ui/*/fail skipped: their .stderr snapshots are from rustc 1.95");
    }
    t.pass("tests/ui/*/pass/*.rs");
}

#[rustversion::stable(1.95)]
fn snapshots_are_from_this_compiler() -> bool {
    true
}

#[rustversion::not(stable(1.95))]
fn snapshots_are_from_this_compiler() -> bool {
    false
}
