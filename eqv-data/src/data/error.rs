//! The one error type of the data layer.
//!
//! A data error must tell a person *where* to look: malformed input names the
//! file, the 1-based line number and the problem, in the `file:line: message`
//! form that editors and terminals turn into links.

use std::fmt;

/// Everything that can go wrong while reading, writing or preparing data.
#[derive(Debug)]
pub enum DataError {
    /// Malformed text: `source:line: message`.
    Parse {
        /// The file name (or the name given to [`parse_extxyz`](super::parse_extxyz)).
        source: String,
        /// 1-based line number of the offending line.
        line: usize,
        /// What is wrong, in words.
        message: String,
    },
    /// The operating system refused to read or write a file.
    Io {
        /// The path that was being read or written.
        path: String,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Well-formed input that cannot be used: a singular cell, an empty
    /// dataset, a cutoff that is not positive, an atomic number out of range.
    Invalid(String),
}

impl DataError {
    /// A parse error at `source:line`.
    pub fn parse(source: &str, line: usize, message: impl Into<String>) -> Self {
        DataError::Parse {
            source: source.to_string(),
            line,
            message: message.into(),
        }
    }

    /// An error about well-formed but unusable input.
    pub fn invalid(message: impl Into<String>) -> Self {
        DataError::Invalid(message.into())
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Parse {
                source,
                line,
                message,
            } => write!(f, "{source}:{line}: {message}"),
            DataError::Io { path, error } => write!(f, "{path}: {error}"),
            DataError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}
