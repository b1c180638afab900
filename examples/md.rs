//! Molecular dynamics with a trained potential (NVE, NVT, NPT): this is
//! `eqv md` (the `eqv-cli` crate).
//!
//! ```text
//! cargo run --release --example train_potential              # writes target/train_potential
//! cargo run --release --example md -- --ensemble nvt --temperature 900 --steps 2000
//! cargo run --release --example md -- --model target/train_potential --start my.extxyz \
//!     --ensemble npt --temperature 600 --pressure 2 --out target/md-npt
//! ```
//!
//! Units: Å, eV, amu, fs, K; pressures in GPa; the stress in the trajectory
//! in eV/Å³ (ASE's sign, positive under tension); velocities in Å/fs.

use std::process::ExitCode;

fn main() -> ExitCode {
    eqv_cli::md::main("md", std::env::args_os())
}
