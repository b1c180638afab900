//! Replacing a file so that a reader sees the old file or the new one,
//! never a mixture and never a truncated file.
//!
//! A checkpoint written in place (`open` with truncation, then `write`) is
//! empty or half-written for as long as the write lasts; a process killed
//! then (SIGKILL, out of memory, a power cut) leaves neither the previous
//! checkpoint nor the new one. Here the new bytes go to a temporary file in
//! the *same directory* (so the final `rename` stays on one file system and
//! is atomic), are flushed to the disk (`fsync`), and only then replace the
//! destination by `rename`; the directory is flushed too, so the rename
//! itself survives a crash.
//!
//! Temporary files are named `.NAME.tmp-PID-N` beside `NAME`: a process
//! killed before its rename leaves one behind, harmless (nothing reads it)
//! and found again by [`stale_temp_files`].

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Distinguishes the temporary files of one process.
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// New contents written and flushed beside their destination, waiting for
/// [`Staged::commit`]. Dropped without a commit, the temporary file is
/// removed and the destination was never touched.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn temp_prefix(dest: &Path) -> io::Result<String> {
    let name = dest.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the destination has no file name",
        )
    })?;
    Ok(format!(".{}.tmp-", name.to_string_lossy()))
}

/// Writes `bytes` to a fresh temporary file beside `dest` and flushes it to
/// the disk. `dest` itself is not touched until [`Staged::commit`].
pub fn stage(dest: &Path, bytes: &[u8]) -> io::Result<Staged> {
    if dest.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory, not a file",
        ));
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = parent_dir(dest).join(format!("{}{}-{n}", temp_prefix(dest)?, std::process::id()));
    let mut staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        committed: false,
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&staged.tmp)
        .inspect_err(|_| staged.committed = true)?; // nothing to remove
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(staged)
}

impl Staged {
    /// The temporary file holding the new contents.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Replaces the destination by the staged contents (one `rename`), then
    /// flushes the directory so the replacement survives a crash.
    pub fn commit(mut self) -> io::Result<()> {
        std::fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        sync_dir(parent_dir(&self.dest));
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Flushes a directory's entries (the renames in it). Best effort: some
/// file systems do not support it, and the data itself is already on disk.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Replaces `dest` by `bytes` atomically (see the module docs).
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    stage(dest, bytes)?.commit()
}

/// Replaces several files: every one is staged (written and flushed) before
/// the first is renamed, so a failure while writing changes none of them,
/// and the renames follow in the order given, back to back. A crash between
/// two renames can still leave a new file beside an old one; files written
/// together should therefore carry a common id that the reader compares.
pub fn write_atomic_all(files: &[(&Path, &[u8])]) -> Result<(), (PathBuf, io::Error)> {
    let mut staged = Vec::with_capacity(files.len());
    for (dest, bytes) in files {
        staged.push(stage(dest, bytes).map_err(|e| (dest.to_path_buf(), e))?);
    }
    for s in staged {
        let dest = s.dest.clone();
        s.commit().map_err(|e| (dest, e))?;
    }
    Ok(())
}

/// Temporary files that writes of `dest` left behind (processes killed
/// between writing and renaming).
pub fn stale_temp_files(dest: &Path) -> Vec<PathBuf> {
    let Ok(prefix) = temp_prefix(dest) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(parent_dir(dest)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_is_not_committed_leaves_the_old_file() {
        let dir = std::env::temp_dir().join(format!("eqv-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("f.bin");
        write_atomic(&dest, b"old contents").unwrap();
        let staged = stage(&dest, b"new").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"old contents");
        assert_eq!(
            stale_temp_files(&dest),
            vec![staged.temp_path().to_path_buf()]
        );
        drop(staged);
        assert!(stale_temp_files(&dest).is_empty());
        assert_eq!(std::fs::read(&dest).unwrap(), b"old contents");
        write_atomic(&dest, b"new").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert!(stage(&dir, b"x").is_err(), "a directory is not replaced");
        std::fs::remove_dir_all(&dir).ok();
    }
}
