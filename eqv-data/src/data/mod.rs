//! Data: atomic structures, extended XYZ files, neighbour lists, species.
//!
//! Everything a training run reads from disk passes through here, so the
//! rules are strict: a malformed file is an error that names the file, the
//! line and the problem (never a panic), and a file read and written back
//! keeps every key and column it had.

pub mod close_contacts;
pub mod error;
pub mod extxyz;
pub mod frame;
pub mod neighbors;
pub mod rotation;
pub mod species;

pub use error::DataError;
pub use extxyz::{
    format_extxyz, format_extxyz_with, parse_extxyz, parse_extxyz_with, read_extxyz,
    read_extxyz_with, write_extxyz, write_extxyz_with, ReadOptions, WriteOptions,
};
pub use frame::{atomic_mass, atomic_number, symbol, Column, ColumnData, Frame, Value};
pub use neighbors::NeighborList;
pub use species::{reference_energies, SpeciesMap};
