//! The error type of the audio core (front end, playback, recorder).

use std::path::PathBuf;

use crate::resample::ResampleError;
use crate::vad::VadError;

/// Errors of the audio core. The VAD and the resampler have their own enums, wrapped here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// A setting is out of range.
    #[error("invalid audio setting: {0}")]
    InvalidConfig(String),
    /// A frame had a length the stage does not take.
    #[error("frame of {actual} samples, expected a multiple of {expected}")]
    FrameLength {
        /// Samples per 10 ms at the stage's rate.
        expected: usize,
        /// Samples given.
        actual: usize,
    },
    /// The voice activity detector failed.
    #[error(transparent)]
    Vad(#[from] VadError),
    /// A resampler could not be built.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// The noise suppressor could not be built.
    #[error("noise suppression: {0}")]
    Denoise(#[from] crate::denoise::DenoiseError),
    /// A prompt file cannot be read.
    #[error("prompt file {path} cannot be read: {source}")]
    PromptUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A prompt's audio cannot be decoded.
    #[error("prompt {name} cannot be decoded: {message}")]
    PromptDecode {
        /// Prompt name (file name or given name).
        name: String,
        /// The decoder's explanation.
        message: String,
    },
    /// Writing the recording failed.
    #[error("recording: {0}")]
    Io(#[from] std::io::Error),
    /// The recording reached the 4 GiB limit of a WAV file.
    #[error("recording reached the WAV size limit")]
    RecordingTooLong,
}
