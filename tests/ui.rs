//! The error gallery: every rule of equivariance fails to compile with a
//! message that names the irrep, the rule and the fix, and legitimate models
//! compile (no false alarms). Index: `tests/ui/README.md`.
//!
//! The `.stderr` snapshots are tied to the toolchain (rustc 1.95). After a
//! deliberate change to a message, regenerate them with
//! `TRYBUILD=overwrite cargo test --test ui` and review the diff as text a
//! user will read.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/fail/*.rs");
    t.pass("tests/ui/*/pass/*.rs");
}
