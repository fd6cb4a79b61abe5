//! `voxgate-vad-eval`: a labelled voice-activity evaluation set made from nothing downloaded, and
//! the scores of voxgate's detectors on it.
//!
//! The set ([`dataset`]): English and Mandarin sentences spoken by espeak-ng, resampled to 8 kHz
//! by sox, with pauses between sentences; noises synthesised in code ([`noise`]: white, pink,
//! brown, crowd babble from 24 overlapping espeak talkers, a background conversation of six,
//! music-like tones, mains hum, clicks, keyboard-like impulses) mixed at SNR 20, 10, 5 and 0 dB; every mix passed through G.711
//! (µ-law or A-law) as a telephone line would. Labels come from the clean speech: a 10 ms frame
//! is speech when its energy is within 30 dB of the sentence's loudest frame.
//!
//! The scores ([`score`], [`metrics`]): frame-level ROC-AUC and F1 at the default threshold for
//! Silero (tract), Silero after noise suppression, and `webrtc-vad` modes 0-3; and false
//! barge-ins per minute of noise-only audio through the default [`Endpointer`] ([`barge_in`]).
//!
//! Run the full table with `cargo run --release -p voxgate-vad-eval`; the tests run a small set.
//!
//! [`Endpointer`]: voxgate_audio::endpointing::Endpointer

pub mod barge_in;
pub mod dataset;
pub mod denoised;
pub mod metrics;
pub mod noise;
pub mod report;
pub mod score;
pub mod speech;

/// Sample rate of everything in the set: narrow-band telephony.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples per 10 ms label frame.
pub const FRAME_SAMPLES: usize = 80;

/// Errors of the evaluation tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// espeak-ng or sox could not be run or failed.
    #[error("speech synthesis: {0}")]
    Synthesis(String),
    /// A detector failed.
    #[error(transparent)]
    Vad(#[from] voxgate_audio::vad::VadError),
    /// The noise suppressor could not be set up.
    #[error("noise suppression: {0}")]
    NoiseSuppression(String),
}
