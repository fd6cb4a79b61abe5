//! The harness error type.

use std::path::PathBuf;

/// Why a harness operation failed. Messages carry enough context (peer logs, events seen) to
/// debug a failing integration test from its output alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// An I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the harness was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Something did not happen in time.
    #[error("timed out after {waited:?} waiting for {what}{details}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the harness waited.
        waited: std::time::Duration,
        /// Extra context: events seen, peer log tail (may be empty).
        details: String,
    },
    /// A peer process misbehaved: exited early, refused a command, printed garbage.
    #[error("{peer}: {detail}")]
    Peer {
        /// Which peer (`baresip`, `sipp`, ...).
        peer: &'static str,
        /// What went wrong, with log excerpts.
        detail: String,
    },
    /// A WAV file could not be read or written.
    #[error("WAV {path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// The decoder or encoder error.
        source: hound::Error,
    },
    /// A caller passed arguments that cannot work.
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl HarnessError {
    /// Wraps an I/O error with what the harness was doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        HarnessError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result alias for harness operations.
pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
