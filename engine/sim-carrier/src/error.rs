//! The simulator's error type.

use std::path::PathBuf;

use voxgate_audio::AudioError;
use voxgate_speech::TtsError;

use crate::persona::PersonaErrors;

/// Why the simulated carrier could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimCarrierError {
    /// The persona file is unreadable or invalid.
    #[error("{0}")]
    Personas(#[from] PersonaErrors),
    /// The VAD model could not be loaded.
    #[error("VAD model {path}: {message}")]
    VadModel {
        /// The model file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A socket or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A persona text could not be synthesised.
    #[error("cannot synthesise {text:?}: {source}")]
    Tts {
        /// The text.
        text: String,
        /// The synthesizer's error.
        source: TtsError,
    },
    /// A `play` file could not be decoded.
    #[error("cannot load {path}: {source}")]
    Prompt {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        source: AudioError,
    },
}

impl SimCarrierError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}
