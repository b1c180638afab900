//! eqv potentials in LAMMPS.
//!
//! Two layers:
//!
//! * [`domain`]: safe Rust. A trained model evaluates one MPI rank's
//!   subdomain — owned atoms plus a ghost shell of `layers × cutoff` — and
//!   returns the energy of the owned atoms and the forces on all of them,
//!   ghosts included, which LAMMPS sums onto their owners.
//! * the C ABI (`include/eqv.h`, built as `libeqv_lammps.so`): load, query
//!   the cutoff, layers and species, compute, free; errors as return codes
//!   and a last-error string, never an unwinding panic.
//!
//! `lammps/` holds the pair style (`pair_style eqv model.safetensors`,
//! C++ against the LAMMPS headers) and `lmp_eqv`, a LAMMPS executable with
//! it registered; `tools/lammps/test.sh` checks LAMMPS runs on 1 and 2
//! ranks against eqv's own MD. The README's "Run it in LAMMPS" says how to
//! use them.
//!
//! `unsafe` lives only in the C ABI module, each block with its SAFETY
//! argument.

#![deny(unsafe_code)]

pub mod domain;
#[allow(unsafe_code)]
pub mod ffi;

pub use domain::{DomainEnergy, DomainModel};
