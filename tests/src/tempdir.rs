//! A temporary directory that removes itself, unless the test failed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{HarnessError, Result};

/// A fresh directory under the system temp dir, named `voxgate-<label>-<pid>-<n>`.
///
/// Dropped normally it is deleted. Dropped while the thread panics (a failing test), or when
/// the environment variable `VOXGATE_KEEP_TEMP` is set, it is kept and its path is printed so
/// peer logs, configs and recordings can be inspected.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a new empty directory; `label` becomes part of its name.
    pub fn new(label: &str) -> Result<TempDir> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("voxgate-{label}-{}-{n}", std::process::id());
        let path = std::env::temp_dir().join(name);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| HarnessError::io(format!("removing stale {}", path.display()), e))?;
        }
        std::fs::create_dir_all(&path)
            .map_err(|e| HarnessError::io(format!("creating {}", path.display()), e))?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory (not created).
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var_os("VOXGATE_KEEP_TEMP").is_some() {
            eprintln!("voxgate-tests: keeping {}", self.path.display());
            return;
        }
        // Best effort: a leftover temp dir is harmless.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_distinct_directories_and_removes_them_on_drop() {
        let a = TempDir::new("unit").unwrap();
        let b = TempDir::new("unit").unwrap();
        assert_ne!(a.path(), b.path());
        std::fs::write(a.join("file"), b"x").unwrap();
        let kept = a.path().to_path_buf();
        drop(a);
        if std::env::var_os("VOXGATE_KEEP_TEMP").is_none() {
            assert!(!kept.exists());
        }
        assert!(b.path().is_dir());
    }
}
