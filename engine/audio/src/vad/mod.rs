//! Voice activity detection: one small trait, a neural detector (Silero VAD run with tract) and a
//! cheap baseline (the `webrtc-vad` crate, GMM-based, as in WebRTC).
//!
//! A detector takes fixed-size chunks of mono samples in -1..1 at its own rate and returns the
//! probability that the chunk holds speech. The front end resamples and re-chunks the callee's
//! 10 ms frames to what the detector asks for ([`VoiceActivityDetector::chunk_samples`]).

use std::path::PathBuf;

pub mod silero;
pub mod webrtc;

pub use silero::{SILERO_VAD_MODEL_SHA256, SileroModel, SileroSampleRate, SileroState, SileroVad};
pub use webrtc::{WebRtcVad, WebRtcVadMode};

/// The command that puts the model files in place; error messages name it.
pub const FETCH_COMMAND: &str = "vad-models/fetch (run by scripts/bootstrap)";

/// Speech probability above which a chunk counts as speech, unless configured otherwise.
///
/// Silero's own default: a chunk at or above 0.5 is speech.
pub const DEFAULT_SPEECH_THRESHOLD: f32 = 0.5;

/// A voice activity detector for one audio stream (one call).
pub trait VoiceActivityDetector: Send {
    /// Sample rate the detector expects, in Hz.
    fn sample_rate(&self) -> u32;
    /// Number of samples [`VoiceActivityDetector::process`] takes per call.
    fn chunk_samples(&self) -> usize;
    /// Speech probability (0..1) of the next chunk of `chunk_samples()` samples in -1..1.
    fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError>;
    /// Forgets the stream's history, as if no chunk had been processed.
    fn reset(&mut self);
}

/// Errors of the VAD layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VadError {
    /// The model file could not be read.
    #[error("VAD model file {path} cannot be read ({source}); fetch it with {FETCH_COMMAND}")]
    ModelUnreadable {
        /// Configured path of the model file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The model file's sha256 is not the expected one.
    #[error(
        "VAD model file {path} has sha256 {actual}, expected {expected}; \
         replace it with vad-models/fetch --force"
    )]
    ModelChecksum {
        /// Configured path of the model file.
        path: PathBuf,
        /// Expected sha256, lower-case hex.
        expected: String,
        /// Sha256 of the file found, lower-case hex.
        actual: String,
    },
    /// The file is not a model tract can load and optimise.
    #[error("VAD model file {path} cannot be loaded: {message}")]
    ModelLoad {
        /// Configured path of the model file.
        path: PathBuf,
        /// The loader's explanation.
        message: String,
    },
    /// A chunk did not have the length the detector takes.
    #[error("VAD chunk of {actual} samples, the detector takes {expected}")]
    ChunkLength {
        /// Samples per chunk the detector takes.
        expected: usize,
        /// Samples in the chunk given.
        actual: usize,
    },
    /// A batch had a different number of inputs and states.
    #[error("VAD batch of {inputs} inputs and {states} states")]
    BatchMismatch {
        /// Number of input chunks.
        inputs: usize,
        /// Number of states.
        states: usize,
    },
    /// A state belongs to a model of another sample rate.
    #[error("VAD state made for {state_hz} Hz used with a {model_hz} Hz model")]
    StateRate {
        /// Rate the state was made for.
        state_hz: u32,
        /// Rate of the model.
        model_hz: u32,
    },
    /// The inference engine failed on well-formed input.
    #[error("VAD inference failed: {0}")]
    Inference(String),
}

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod test_support;
