//! Saving and loading parameters in the safetensors format.
//!
//! The file is what the Python `safetensors` package reads: an 8-byte
//! little-endian header length, a JSON header mapping each parameter path to
//! `{"dtype": "F64", "shape": [...], "data_offsets": [begin, end]}`, then the
//! raw little-endian data. eqv adds `__metadata__` with the model name, its
//! config (Debug form) and its summary, so a checkpoint says what it is.
//!
//! Loading checks every parameter by path and shape, and reports the first
//! mismatch by name — a checkpoint from another config or other irreps never
//! loads silently.

use crate::param::Parameters;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a checkpoint could not be written or read.
#[derive(Debug)]
pub enum CheckpointError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a valid safetensors file.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The file is valid but does not fit this model.
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Which parameter and how.
        message: String,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Format { path, message } => {
                write!(
                    f,
                    "{}: not a valid safetensors checkpoint: {message}",
                    path.display()
                )
            }
            CheckpointError::Mismatch { path, message } => {
                write!(
                    f,
                    "{}: checkpoint does not fit the model: {message}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes every parameter of `model` to `path`.
pub fn save_params(
    model: &impl Parameters,
    path: &Path,
    model_name: &str,
    config: &str,
    summary: &str,
) -> Result<(), CheckpointError> {
    let mut header = Map::new();
    let mut data: Vec<u8> = Vec::new();
    model.visit("", &mut |name, p| {
        let begin = data.len();
        for x in p.data() {
            data.extend_from_slice(&x.to_le_bytes());
        }
        header.insert(
            name.to_string(),
            json!({"dtype": "F64", "shape": p.shape(), "data_offsets": [begin, data.len()]}),
        );
    });
    header.insert(
        "__metadata__".to_string(),
        json!({"format": "eqv", "model": model_name, "config": config, "summary": summary}),
    );
    let mut head = Value::Object(header).to_string().into_bytes();
    while head.len() % 8 != 0 {
        head.push(b' ');
    }
    let mut bytes = Vec::with_capacity(8 + head.len() + data.len());
    bytes.extend_from_slice(&(head.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&data);
    std::fs::write(path, bytes).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads parameters saved by [`save_params`] into `model`, checking names
/// and shapes. `model_name` is compared with the file's metadata.
pub fn load_params(
    model: &mut impl Parameters,
    path: &Path,
    model_name: &str,
) -> Result<(), CheckpointError> {
    let format = |message: String| CheckpointError::Format {
        path: path.to_path_buf(),
        message,
    };
    let mismatch = |message: String| CheckpointError::Mismatch {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.len() < 8 {
        return Err(format(format!(
            "{} bytes is too short for a header",
            bytes.len()
        )));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let head = bytes
        .get(8..8usize.saturating_add(n))
        .ok_or_else(|| format(format!("header length {n} exceeds the file")))?;
    let header: Value =
        serde_json::from_slice(head).map_err(|e| format(format!("header is not JSON: {e}")))?;
    let header = header
        .as_object()
        .ok_or_else(|| format("header is not a JSON object".into()))?;
    let data = &bytes[8 + n..];
    if let Some(saved) = header
        .get("__metadata__")
        .and_then(|m| m.get("model"))
        .and_then(Value::as_str)
    {
        if saved != model_name {
            return Err(mismatch(format!(
                "it holds a `{saved}`, not a `{model_name}`"
            )));
        }
    }
    let mut seen = 0usize;
    let mut result = Ok(());
    model.visit_mut("", &mut |name, p| {
        if result.is_err() {
            return;
        }
        seen += 1;
        let r = (|| {
            let entry = header
                .get(name)
                .ok_or_else(|| mismatch(format!("parameter `{name}` is missing (the model expects shape {:?})", p.shape())))?;
            let dtype = entry.get("dtype").and_then(Value::as_str).unwrap_or("?");
            if dtype != "F64" {
                return Err(format(format!("parameter `{name}` has dtype {dtype}, expected F64")));
            }
            let shape: Vec<usize> = entry
                .get("shape")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).map(|x| x as usize).collect())
                .ok_or_else(|| format(format!("parameter `{name}` has no shape")))?;
            if shape != p.shape() {
                return Err(mismatch(format!(
                    "parameter `{name}` has shape {shape:?} in the file, but the model expects {:?} (another config or other irreps?)",
                    p.shape()
                )));
            }
            let offs: Vec<usize> = entry
                .get("data_offsets")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).map(|x| x as usize).collect())
                .unwrap_or_default();
            let [b, e] = offs[..] else {
                return Err(format(format!("parameter `{name}` has no data_offsets")));
            };
            let raw = data
                .get(b..e)
                .filter(|r| r.len() == 8 * p.len())
                .ok_or_else(|| format(format!("parameter `{name}`: data range {b}..{e} is invalid")))?;
            for (dst, chunk) in p.data_mut().iter_mut().zip(raw.chunks_exact(8)) {
                *dst = f64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            }
            Ok(())
        })();
        result = r;
    });
    result?;
    let stored = header.keys().filter(|k| *k != "__metadata__").count();
    if stored != seen {
        return Err(mismatch(format!(
            "the file holds {stored} parameters, the model has {seen}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::param::Param;

    struct Two(Param, Param);
    impl Parameters for Two {
        fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
            f(&crate::param::join_path(prefix, "a"), &self.0);
            f(&crate::param::join_path(prefix, "b"), &self.1);
        }
        fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
            f(&crate::param::join_path(prefix, "a"), &mut self.0);
            f(&crate::param::join_path(prefix, "b"), &mut self.1);
        }
    }

    #[test]
    fn roundtrip_and_mismatches_are_reported_by_name() {
        let dir = std::env::temp_dir().join(format!("eqv-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.safetensors");
        let m = Two(
            Param::new(vec![2, 3], (0..6).map(|x| x as f64 * 0.5).collect()),
            Param::new(vec![1], vec![-3.25]),
        );
        save_params(&m, &path, "Two", "cfg", "summary").unwrap();
        let mut z = Two(Param::zeros(vec![2, 3]), Param::zeros(vec![1]));
        load_params(&mut z, &path, "Two").unwrap();
        assert_eq!(z.0, m.0);
        assert_eq!(z.1, m.1);
        let mut wrong = Two(Param::zeros(vec![3, 3]), Param::zeros(vec![1]));
        let e = load_params(&mut wrong, &path, "Two")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("parameter `a` has shape [2, 3] in the file, but the model expects [3, 3]"),
            "{e}"
        );
        let e = load_params(&mut z, &path, "Other").unwrap_err().to_string();
        assert!(e.contains("holds a `Two`, not a `Other`"), "{e}");
        std::fs::write(&path, b"garbage!garbage").unwrap();
        let e = load_params(&mut z, &path, "Two").unwrap_err().to_string();
        assert!(e.contains("not a valid safetensors"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
