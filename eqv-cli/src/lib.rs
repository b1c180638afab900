//! The `eqv` command-line tool, as a library: each subcommand is a module
//! with its option table and a `run` function, so the binary, the examples
//! (`train_potential`, `evaluate_potential`) and tests share one
//! implementation.
//!
//! ```text
//! cargo install --path eqv-cli
//! eqv train --config run.toml          # or options: eqv train --data train.extxyz --max-minutes 5
//! eqv evaluate --model target/train_potential --data test.extxyz
//! eqv md --model target/train_potential --ensemble nvt --temperature 900
//! eqv inspect target/train_potential
//! ```
//!
//! * [`options`]: option tables, clap, and TOML config files;
//! * [`train`]: a whole training run and everything it leaves in `--out`;
//! * [`models`]: the architectures `train --model` builds;
//! * [`evaluate`]: metrics and predictions of a checkpoint on a data file;
//! * [`md`]: molecular dynamics (NVE, NVT, NPT) with a checkpoint;
//! * [`md_check`]: the main job's MD of the trained model beside the reference;
//! * [`inspect`]: what a checkpoint holds;
//! * [`epoch_log`]: the per-epoch CSV log;
//! * [`interrupt`]: Ctrl-C as a clean stop.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod epoch_log;
pub mod evaluate;
pub mod inspect;
pub mod interrupt;
pub mod md;
pub mod md_check;
pub mod models;
pub mod options;
pub mod train;
