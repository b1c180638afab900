//! An MD trajectory as an extended XYZ file that ASE, OVITO and VMD read.
//!
//! Frames are appended as the run goes (and flushed), each with its cell,
//! periodicity, energy, forces and stress when known, plus the step, the
//! time (fs) and the velocities (Å/fs, a `velocities` column) so that a run
//! can be inspected or restarted from any frame.

use crate::classical::{Md, Potential};
use crate::data::{format_extxyz, Column, ColumnData, DataError, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An extended XYZ trajectory being written.
#[derive(Debug)]
pub struct TrajectoryWriter {
    path: PathBuf,
    file: std::fs::File,
    frames: usize,
}

impl TrajectoryWriter {
    /// Creates (or truncates) the file.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::File::create(&path).map_err(|error| DataError::Io {
            path: path.display().to_string(),
            error,
        })?;
        Ok(TrajectoryWriter {
            path,
            file,
            frames: 0,
        })
    }

    /// Appends the current state of `md`.
    pub fn write<P: Potential>(&mut self, md: &Md<P>) -> Result<(), DataError> {
        let mut frame = md.labelled_frame();
        frame.info_set("step", Value::Int(md.steps() as i64));
        frame.info_set("time_fs", Value::Float(md.time_fs()));
        let velocities = Column {
            width: 3,
            data: ColumnData::Real(md.velocities().iter().flatten().copied().collect()),
        };
        match frame.arrays.iter_mut().find(|(k, _)| k == "velocities") {
            Some(slot) => slot.1 = velocities,
            None => frame.arrays.push(("velocities".into(), velocities)),
        }
        let text = format_extxyz(std::slice::from_ref(&frame))?;
        self.file
            .write_all(text.as_bytes())
            .and_then(|_| self.file.flush())
            .map_err(|error| DataError::Io {
                path: self.path.display().to_string(),
                error,
            })?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
