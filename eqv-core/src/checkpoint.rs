//! Saving and loading parameters in the safetensors format — checkpoints
//! that cannot lie.
//!
//! The file is what the Python `safetensors` package reads, written and
//! parsed by the `safetensors` crate: an 8-byte little-endian header length,
//! a JSON header mapping each parameter path to
//! `{"dtype": "F64", "shape": [...], "data_offsets": [begin, end]}`, then the
//! raw little-endian data. Its `__metadata__` (a map of strings, as the
//! format requires) says what the file is: `format` (`eqv`),
//! `format_version`, `eqv_version` (the code that wrote it), `model`,
//! `config`, `summary`, a checksum of the data (`data_checksum`), and
//! whatever the writer adds (the trainer adds the species, the reference
//! energies E0, the cutoff and a run id, so one file is enough to rebuild
//! and use the model).
//!
//! Why each guarantee:
//! * **written atomically** ([`atomic`]): a process killed during a write
//!   leaves the previous checkpoint, never an empty or half-written one;
//! * **checked on load** ([`read_checkpoint`]): a truncated file, a header
//!   that does not tile the data, a checksum that does not match (bytes
//!   overwritten on disk), a NaN or an infinity in a weight, a checkpoint
//!   from another format or another eqv version, a parameter missing or of
//!   another shape — each is an error naming the file and the parameter,
//!   never a panic and never a model that quietly predicts NaN.

pub mod atomic;

use crate::param::Parameters;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// The layout version written by this code. Version 1 (no `format_version`
/// key, no checksum) is still read.
pub const FORMAT_VERSION: u32 = 2;

/// The version of eqv that writes checkpoints (`eqv_version` in the
/// metadata). A checkpoint of another `major.minor` is refused: while eqv
/// is 0.x, a minor release may rename or reshape parameters.
pub const CODE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The string map stored as the safetensors `__metadata__`.
pub type Metadata = BTreeMap<String, String>;

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
    /// The file is not a valid safetensors file, or it is damaged
    /// (truncated, bytes overwritten).
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
    /// The file was written by another checkpoint format or eqv version.
    Version {
        /// The file.
        path: PathBuf,
        /// Which versions.
        message: String,
    },
    /// A stored weight is NaN or infinite: a model loaded from it would
    /// predict NaN.
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The parameter's path.
        parameter: String,
        /// Index of the first bad value within the parameter.
        index: usize,
        /// The value.
        value: f64,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Format { path, message } => {
                write!(
                    f,
                    "{}: not a valid checkpoint: {message}",
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
            CheckpointError::Version { path, message } => {
                write!(f, "{}: checkpoint version mismatch: {message}", path.display())
            }
            CheckpointError::NonFinite {
                path,
                parameter,
                index,
                value,
            } => write!(
                f,
                "{}: parameter `{parameter}` holds {value} at index {index}: a checkpoint with non-finite weights is damaged or comes from a diverged run",
                path.display()
            ),
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

/// FNV-1a, 64 bits: a checksum of the data section, so bytes changed on
/// disk are found even when they still decode as finite numbers.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn checksum_text(data: &[u8]) -> String {
    format!("fnv1a64:{:016x}", fnv1a64(data))
}

/// One parameter as the `safetensors` crate writes it: little-endian `f64`.
struct F64Tensor {
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl safetensors::View for &F64Tensor {
    fn dtype(&self) -> Dtype {
        Dtype::F64
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// The bytes of a checkpoint of `model` with `metadata` (to which the
/// format, versions and checksum are added).
///
/// The byte layout is the `safetensors` crate's. The checksum covers the
/// data section as that crate lays it out, so the tensors are serialised
/// once without it to learn the layout, then again with it in the header
/// (the header does not change the data section).
pub fn encode(model: &impl Parameters, metadata: &Metadata) -> Vec<u8> {
    let mut tensors: Vec<(String, F64Tensor)> = Vec::new();
    model.visit("", &mut |name, p| {
        let bytes = p.data().iter().flat_map(|x| x.to_le_bytes()).collect();
        tensors.push((
            name.to_string(),
            F64Tensor {
                shape: p.shape().to_vec(),
                bytes,
            },
        ));
    });
    let mut meta: HashMap<String, String> = metadata.clone().into_iter().collect();
    meta.insert("format".into(), "eqv".into());
    meta.insert("format_version".into(), FORMAT_VERSION.to_string());
    meta.insert("eqv_version".into(), CODE_VERSION.into());
    let serialize = |meta: &HashMap<String, String>| {
        safetensors::serialize(tensors.iter().map(|(n, t)| (n, t)), Some(meta.clone()))
            .expect("parameters with consistent shapes and string metadata serialise")
    };
    let draft = serialize(&meta);
    let (header_len, _) = SafeTensors::read_metadata(&draft).expect("just written");
    meta.insert(
        "data_checksum".into(),
        checksum_text(&draft[8 + header_len..]),
    );
    serialize(&meta)
}

/// Writes `model` with `metadata` to `path`, atomically.
pub fn save_params_with_metadata(
    model: &impl Parameters,
    path: &Path,
    metadata: &Metadata,
) -> Result<(), CheckpointError> {
    atomic::write_atomic(path, &encode(model, metadata)).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes every parameter of `model` to `path`, atomically, with the model
/// name, its config and a summary in the metadata.
pub fn save_params(
    model: &impl Parameters,
    path: &Path,
    model_name: &str,
    config: &str,
    summary: &str,
) -> Result<(), CheckpointError> {
    let meta: Metadata = [
        ("model", model_name),
        ("config", config),
        ("summary", summary),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    save_params_with_metadata(model, path, &meta)
}

/// One stored parameter.
#[derive(Clone, Debug, PartialEq)]
struct Tensor {
    shape: Vec<usize>,
    data: Vec<f64>,
}

/// A checkpoint read and verified (see [`read_checkpoint`]); its weights go
/// into a model with [`Checkpoint::load_into`].
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    path: PathBuf,
    metadata: Metadata,
    tensors: BTreeMap<String, Tensor>,
}

/// Reads and verifies a checkpoint without a model: the header, that the
/// tensors tile the data exactly (a truncated file is named as such), the
/// checksum, the versions, and that every weight is finite.
pub fn read_checkpoint(path: impl AsRef<Path>) -> Result<Checkpoint, CheckpointError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_checkpoint(&bytes, path)
}

/// [`read_checkpoint`] of bytes already in memory (`path` names them in
/// errors).
pub fn parse_checkpoint(bytes: &[u8], path: &Path) -> Result<Checkpoint, CheckpointError> {
    let format = |message: String| CheckpointError::Format {
        path: path.to_path_buf(),
        message,
    };
    let version = |message: String| CheckpointError::Version {
        path: path.to_path_buf(),
        message,
    };
    let (header_len, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| format(layout_error(&e, bytes.len())))?;
    let data = &bytes[8 + header_len..];
    let metadata: Metadata = header
        .metadata()
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let is_eqv = metadata.get("format").is_some_and(|f| f == "eqv");
    let file_format = match metadata.get("format_version") {
        None => 1,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| format(format!("format_version `{v}` is not a number")))?,
    };
    if is_eqv && file_format != 1 && file_format != FORMAT_VERSION {
        return Err(version(format!(
            "written in checkpoint format {file_format}; this eqv ({CODE_VERSION}) reads formats 1 and {FORMAT_VERSION}"
        )));
    }
    if let Some(v) = metadata.get("eqv_version") {
        if major_minor(v) != major_minor(CODE_VERSION) {
            return Err(version(format!(
                "written by eqv {v}; this is eqv {CODE_VERSION}, whose parameters may differ: retrain, or evaluate with eqv {v}"
            )));
        }
    }
    match metadata.get("data_checksum") {
        Some(stored) => {
            let actual = checksum_text(data);
            if *stored != actual {
                return Err(format(format!(
                    "the data does not match its checksum ({stored} stored, {actual} computed): the file was damaged after it was written"
                )));
            }
        }
        None if is_eqv && file_format >= 2 => {
            return Err(format("no `data_checksum` in the metadata".into()))
        }
        None => {}
    }

    let mut tensors = BTreeMap::new();
    for name in header.offset_keys() {
        let info = header.info(&name).expect("a name the header lists");
        if info.dtype != Dtype::F64 {
            return Err(format(format!(
                "parameter `{name}` has dtype {}, expected F64",
                info.dtype
            )));
        }
        let (begin, end) = info.data_offsets;
        let values: Vec<f64> = data[begin..end]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8 bytes")))
            .collect();
        if let Some(index) = values.iter().position(|x| !x.is_finite()) {
            return Err(CheckpointError::NonFinite {
                path: path.to_path_buf(),
                parameter: name,
                index,
                value: values[index],
            });
        }
        tensors.insert(
            name,
            Tensor {
                shape: info.shape.clone(),
                data: values,
            },
        );
    }
    Ok(Checkpoint {
        path: path.to_path_buf(),
        metadata,
        tensors,
    })
}

/// What a layout error of the `safetensors` crate means for a checkpoint
/// file of `len` bytes, in words that say what probably happened.
fn layout_error(e: &SafeTensorError, len: usize) -> String {
    match e {
        SafeTensorError::HeaderTooSmall => {
            format!("{len} bytes is too short for a header (truncated?)")
        }
        SafeTensorError::InvalidHeaderLength | SafeTensorError::HeaderTooLarge => format!(
            "the header length exceeds the file ({len} bytes) or any sane size: truncated, damaged, or not safetensors"
        ),
        SafeTensorError::InvalidHeader(_) | SafeTensorError::InvalidHeaderDeserialization(_) => {
            format!("the header is not valid safetensors JSON ({e}): damaged?")
        }
        SafeTensorError::MetadataIncompleteBuffer => format!(
            "the tensors the header describes do not end where the file ({len} bytes) ends: truncated, or bytes appended"
        ),
        SafeTensorError::InvalidOffset(name) => format!(
            "parameter `{name}` does not start where the previous one ends: tensors must tile the data"
        ),
        _ => format!("the header does not describe the data ({e})"),
    }
}

/// `"0.1.3"` → `("0", "1")`.
fn major_minor(v: &str) -> (&str, &str) {
    let mut it = v.split('.');
    (it.next().unwrap_or(""), it.next().unwrap_or(""))
}

impl Checkpoint {
    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole `__metadata__`.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// One metadata entry.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }

    /// A metadata entry that must be there and hold JSON (the trainer
    /// stores its structured entries so); the error names the key.
    pub fn meta_json(&self, key: &str) -> Result<Value, CheckpointError> {
        let text = self.meta(key).ok_or_else(|| CheckpointError::Format {
            path: self.path.clone(),
            message: format!("no `{key}` in the metadata (not written by the eqv trainer?)"),
        })?;
        serde_json::from_str(text).map_err(|e| CheckpointError::Format {
            path: self.path.clone(),
            message: format!("metadata `{key}` is not JSON: {e}"),
        })
    }

    /// Number of stored parameters.
    pub fn len(&self) -> usize {
        self.tensors.len()
    }

    /// Whether no parameter is stored.
    pub fn is_empty(&self) -> bool {
        self.tensors.is_empty()
    }

    /// Copies the weights into `model`, checking that the file holds a
    /// `model_name` (when it records a model name) and exactly the model's
    /// parameters, by path and shape; the first mismatch is named.
    pub fn load_into(
        &self,
        model: &mut impl Parameters,
        model_name: &str,
    ) -> Result<(), CheckpointError> {
        let mismatch = |message: String| CheckpointError::Mismatch {
            path: self.path.clone(),
            message,
        };
        if let Some(saved) = self.meta("model") {
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
            result = match self.tensors.get(name) {
                None => Err(mismatch(format!(
                    "parameter `{name}` is missing (the model expects shape {:?})",
                    p.shape()
                ))),
                Some(t) if t.shape != p.shape() => Err(mismatch(format!(
                    "parameter `{name}` has shape {:?} in the file, but the model expects {:?} (another config or other irreps?)",
                    t.shape,
                    p.shape()
                ))),
                Some(t) => {
                    p.data_mut().copy_from_slice(&t.data);
                    Ok(())
                }
            };
        });
        result?;
        if self.tensors.len() != seen {
            return Err(mismatch(format!(
                "the file holds {} parameters, the model has {seen}",
                self.tensors.len()
            )));
        }
        Ok(())
    }
}

/// Reads parameters saved by [`save_params`] into `model`, after every
/// check of [`read_checkpoint`] and [`Checkpoint::load_into`].
pub fn load_params(
    model: &mut impl Parameters,
    path: &Path,
    model_name: &str,
) -> Result<(), CheckpointError> {
    read_checkpoint(path)?.load_into(model, model_name)
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

    /// Tensors laid out in the model's order, not the name order the
    /// `safetensors` crate writes: how eqv 0.1 wrote checkpoints before it
    /// used that crate, and what other writers may do. Such files load.
    #[test]
    fn files_laid_out_in_another_tensor_order_load() {
        let m = Two(
            Param::new(vec![2], vec![1.5, -2.0]),
            Param::new(vec![1], vec![0.25]),
        );
        // `b` first in the data section, then `a`.
        let data: Vec<u8> = [0.25f64, 1.5, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let header = serde_json::json!({
            "b": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
            "a": {"dtype": "F64", "shape": [2], "data_offsets": [8, 24]},
            "__metadata__": {
                "format": "eqv",
                "format_version": FORMAT_VERSION.to_string(),
                "eqv_version": CODE_VERSION,
                "data_checksum": checksum_text(&data),
            },
        })
        .to_string();
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&data);
        let mut z = Two(Param::zeros(vec![2]), Param::zeros(vec![1]));
        parse_checkpoint(&bytes, Path::new("old.safetensors"))
            .unwrap()
            .load_into(&mut z, "Two")
            .unwrap();
        assert_eq!((z.0, z.1), (m.0, m.1));
    }

    /// What [`encode`] writes is plain safetensors: the crate's own reader
    /// finds every tensor with its shape and values.
    #[test]
    fn encoded_checkpoints_are_plain_safetensors() {
        let m = Two(
            Param::new(vec![3], vec![1.0, 2.0, 3.0]),
            Param::new(vec![1, 1], vec![-1.0]),
        );
        let bytes = encode(&m, &Metadata::new());
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let a = st.tensor("a").unwrap();
        assert_eq!((a.dtype(), a.shape()), (Dtype::F64, &[3][..]));
        assert_eq!(a.data()[8..16], 2.0f64.to_le_bytes());
        assert_eq!(st.tensor("b").unwrap().shape(), &[1, 1]);
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
        assert!(e.contains("not a valid checkpoint"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
