//! Whisper speech recognition embedded in the process, on the CPU, with `candle`.
//!
//! - [`mel`]: OpenAI's exact log-mel front end (16 kHz, 80 Slaney mel bins).
//! - [`WhisperModel`]: a model folder written by `whisper-models/fetch` (`model.safetensors`,
//!   `config.json`, `vocabulary.txt`), [`WhisperModel::transcribe`] decodes one utterance
//!   greedily with Whisper's token suppression, a repetition guard and rejection of silence
//!   and noise (empty text, low confidence).
//! - [`EmbeddedWhisper`]: a [`voxgate_speech::Recognizer`] running a pool of decode threads.
//!
//! ```no_run
//! use voxgate_speech::{AsrRequest, Recognizer};
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let whisper = voxgate_whisper::EmbeddedWhisper::start("whisper-models/tiny.en".as_ref(), 2)?;
//! let pcm_8k: Vec<i16> = vec![0; 16_000];
//! let request = AsrRequest { audio: pcm_8k.into(), ..AsrRequest::default() };
//! let result = whisper.recognize(request).await?;
//! println!("{} ({:.2})", result.text, result.confidence);
//! # Ok(()) }
//! ```
//!
//! The encoder window: Whisper is trained on 30 s windows ([`MelWindow::Full`] pads every
//! utterance to 30 s). The default, [`MelWindow::Utterance`] with a 1 s margin, encodes only the
//! utterance plus 1 s of silence. Measured with `tools/asr-eval` (tiny.en, 20 espeak-ng
//! sentences through G.711, mean 1.9 s): WER 40.6 % against 42.2 % for the full window, at about
//! a fifth of the CPU (0.9 s against 4.5 s per utterance in the dev profile on a loaded 2-core
//! machine). The short window sometimes stutters ("time, time, time"), which the repetition
//! guard cuts; the full window remains available for accuracy experiments.
//!
//! Hot words ([`voxgate_speech::AsrRequest::hot_words`]) are ignored: biasing Whisper needs
//! them tokenized into an initial prompt, and this crate has no BPE encoder (decoding only).

#![warn(missing_docs)]

use std::path::PathBuf;

use thiserror::Error;

mod decode;
pub mod mel;
mod model;
mod pool;
pub mod vocab;

pub use decode::{DecodeOptions, MAX_AUDIO_SECONDS, MelWindow, Transcription, window_frames};
pub use model::WhisperModel;
pub use pool::{EmbeddedWhisper, PoolConfig, pcm8k_to_16k};

/// Why a model could not be loaded or an utterance not decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WhisperError {
    /// A model file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A model file is not what it should be (format, shapes, missing tokens).
    #[error("bad Whisper model file {path}: {message}")]
    BadModel {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The audio cannot be decoded (empty, too long).
    #[error("unusable audio: {0}")]
    Input(String),
    /// The model does not know this language.
    #[error("the model cannot transcribe language {0:?}")]
    UnsupportedLanguage(String),
    /// A failure inside the network or the front end.
    #[error("Whisper decoding failed: {0}")]
    Internal(String),
}

impl From<candle_core::Error> for WhisperError {
    fn from(error: candle_core::Error) -> Self {
        Self::Internal(error.to_string())
    }
}
