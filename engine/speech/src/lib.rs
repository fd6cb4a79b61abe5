//! Speech providers for voxgate: what turns the callee's utterances into text (ASR) and the
//! bot's text into telephone-band audio (TTS). Providers are native code behind two small
//! object-safe traits; plugins only ever see text.
//!
//! Audio crosses these interfaces as 8 kHz mono 16-bit PCM, the media loop's rate; an adapter
//! that needs another rate (Whisper wants 16 kHz) resamples inside.
//!
//! - [`Recognizer`]: one finished utterance in, final text with a confidence out, partial
//!   hypotheses on [`AsrRequest::partials`] where the provider streams them. Errors and
//!   time-outs are values ([`AsrError`]), never a hung call: [`recognize_within`] bounds any
//!   recognizer by a deadline.
//! - [`Synthesizer`]: text and a voice in, 8 kHz audio out.
//!
//! Adapters: [`openai_asr::OpenAiTranscriber`], [`funasr::FunAsrClient`],
//! [`openai_tts::OpenAiSpeech`], [`espeak::EspeakNg`]; [`cache::TtsCache`] so a sentence is
//! synthesised once; [`template::fill`] for `${var}` prompt text; [`config`] for the server's
//! `[asr]` / `[tts]` sections and the builders.

#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod espeak;
pub mod funasr;
mod http;
pub mod mandarin;
pub mod openai_asr;
pub mod openai_tts;
pub mod template;
mod wav;

pub use cache::{CacheStats, TtsCache};
pub use config::{AsrConfig, BuildError, TtsConfig, build_recognizer, build_synthesizer};
pub use espeak::EspeakNg;
pub use funasr::FunAsrClient;
pub use openai_asr::OpenAiTranscriber;
pub use openai_tts::OpenAiSpeech;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::mpsc;

/// The PCM rate of every audio buffer crossing this crate's interfaces.
pub const PCM_RATE: u32 = 8000;

/// A boxed, sendable future (the traits stay object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One utterance to recognise.
#[derive(Debug, Clone, Default)]
pub struct AsrRequest {
    /// The utterance: 8 kHz mono PCM.
    pub audio: Arc<[i16]>,
    /// BCP-47-ish language hint ("en", "zh"); `None` lets the provider decide.
    pub language: Option<String>,
    /// Words and phrases to favour (product names, "续保"), where the provider supports it.
    pub hot_words: Vec<String>,
    /// Where partial hypotheses go, for providers that stream them.
    pub partials: Option<mpsc::UnboundedSender<String>>,
}

/// A final recognition result.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognition {
    /// The recognised text (may be empty: nothing intelligible was said).
    pub text: String,
    /// Confidence in 0..=1 (providers without one report 1.0 for non-empty text).
    pub confidence: f32,
}

/// Why a recognition gave no result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AsrError {
    /// The provider did not answer within the deadline.
    #[error("speech recognition timed out after {0:?}")]
    Timeout(Duration),
    /// The provider could not be reached or refused the request.
    #[error("speech recognition unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something this adapter does not understand.
    #[error("speech recognition protocol error: {0}")]
    Protocol(String),
    /// The request itself is unusable (empty or too long audio, bad language).
    #[error("speech recognition request rejected: {0}")]
    Rejected(String),
}

/// A speech recognizer. Implementations must be cheap to share (`Arc<dyn Recognizer>`) and
/// must not block the async runtime: CPU-heavy ones decode on their own worker threads.
pub trait Recognizer: Send + Sync {
    /// A short name for logs and metrics ("openai", "funasr", "whisper-tiny.en").
    fn name(&self) -> &str;
    /// Recognise one utterance.
    fn recognize(&self, request: AsrRequest) -> BoxFuture<'_, Result<Recognition, AsrError>>;
}

/// Run `recognizer` on `request`, giving up with [`AsrError::Timeout`] after `deadline`.
pub async fn recognize_within(
    recognizer: &dyn Recognizer,
    request: AsrRequest,
    deadline: Duration,
) -> Result<Recognition, AsrError> {
    tokio::time::timeout(deadline, recognizer.recognize(request))
        .await
        .unwrap_or(Err(AsrError::Timeout(deadline)))
}

/// One sentence to synthesise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TtsRequest {
    /// The text, variables already substituted.
    pub text: String,
    /// The provider's voice name; `None` for its default.
    pub voice: Option<String>,
    /// Language hint ("en", "zh"); `None` to guess from the text.
    pub language: Option<String>,
}

/// Why a synthesis failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TtsError {
    /// The provider did not answer within its time-out.
    #[error("speech synthesis timed out after {0:?}")]
    Timeout(Duration),
    /// The provider could not be reached, failed or refused the request.
    #[error("speech synthesis unavailable: {0}")]
    Unavailable(String),
    /// The provider's audio could not be decoded.
    #[error("speech synthesis returned unusable audio: {0}")]
    BadAudio(String),
    /// The request is unusable (empty text, unknown voice).
    #[error("speech synthesis request rejected: {0}")]
    Rejected(String),
}

/// A speech synthesizer.
pub trait Synthesizer: Send + Sync {
    /// Identifies the provider and its settings (model, endpoint) in the cache key: two
    /// synthesizers that could produce different audio for the same request must differ here.
    fn cache_identity(&self) -> String;
    /// Synthesise one sentence as 8 kHz mono PCM.
    fn synthesize(&self, request: TtsRequest) -> BoxFuture<'_, Result<Vec<i16>, TtsError>>;
}
