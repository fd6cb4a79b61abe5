//! The speech sections of the server's configuration, and builders for this crate's
//! adapters.
//!
//! ```toml
//! [asr]
//! provider = "funasr"          # "whisper" | "openai" | "funasr"
//! url = "ws://127.0.0.1:10095"
//! mode = "2pass"
//!
//! [tts]
//! provider = "espeak"          # "espeak" | "openai"
//! speed_wpm = 165
//! ```
//!
//! The embedded Whisper recognizer lives in its own crate; [`build_recognizer`] answers
//! [`BuildError::Embedded`] for it and the server builds it from [`WhisperAsrConfig`].

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;
use thiserror::Error;

use crate::espeak::{EspeakConfig, EspeakNg};
use crate::funasr::{FunAsrClient, FunAsrConfig};
use crate::openai_asr::{OpenAiAsrConfig, OpenAiTranscriber};
use crate::openai_tts::{OpenAiSpeech, OpenAiTtsConfig};
use crate::{Recognizer, Synthesizer};

/// Why an adapter could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting is unusable (empty URL, missing API key variable, speed out of range).
    #[error("invalid speech configuration: {0}")]
    Invalid(String),
    /// The provider is built outside this crate (the embedded Whisper recognizer).
    #[error("the {0} recognizer is built by the server, not by voxgate-speech")]
    Embedded(&'static str),
}

/// Which recognizer to use, tagged by `provider`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum AsrConfig {
    /// The embedded Whisper recognizer (voxgate-whisper).
    Whisper(WhisperAsrConfig),
    /// An OpenAI-compatible transcription endpoint.
    #[serde(rename = "openai")]
    OpenAi(OpenAiAsrConfig),
    /// A FunASR WebSocket server.
    #[serde(rename = "funasr")]
    FunAsr(FunAsrConfig),
}

/// Settings of the embedded Whisper recognizer (built by the server through voxgate-whisper).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhisperAsrConfig {
    /// Folder of the converted model (weights, tokenizer, config).
    pub model: PathBuf,
    /// Decoding worker threads; none sizes the pool to the machine.
    #[serde(default)]
    pub workers: Option<usize>,
}

/// Which synthesizer to use, tagged by `provider`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
pub enum TtsConfig {
    /// The espeak-ng program (the embedded default).
    Espeak(EspeakConfig),
    /// An OpenAI-compatible speech endpoint.
    #[serde(rename = "openai")]
    OpenAi(OpenAiTtsConfig),
}

impl Default for TtsConfig {
    fn default() -> Self {
        TtsConfig::Espeak(EspeakConfig::default())
    }
}

/// Builds the recognizer `config` names; [`BuildError::Embedded`] for Whisper.
pub fn build_recognizer(config: &AsrConfig) -> Result<Arc<dyn Recognizer>, BuildError> {
    Ok(match config {
        AsrConfig::Whisper(_) => return Err(BuildError::Embedded("whisper")),
        AsrConfig::OpenAi(openai) => Arc::new(OpenAiTranscriber::new(openai)?),
        AsrConfig::FunAsr(funasr) => Arc::new(FunAsrClient::new(funasr)?),
    })
}

/// Builds the synthesizer `config` names.
pub fn build_synthesizer(config: &TtsConfig) -> Result<Arc<dyn Synthesizer>, BuildError> {
    Ok(match config {
        TtsConfig::Espeak(espeak) => Arc::new(EspeakNg::new(espeak)?),
        TtsConfig::OpenAi(openai) => Arc::new(OpenAiSpeech::new(openai)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funasr::FunAsrMode;

    fn asr(json: &str) -> Result<AsrConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn providers_parse_with_defaults() {
        let funasr = asr(r#"{"provider":"funasr","url":"ws://127.0.0.1:10095"}"#).unwrap();
        let AsrConfig::FunAsr(funasr) = funasr else {
            panic!("{funasr:?}")
        };
        assert_eq!(
            (funasr.mode, funasr.hot_word_weight),
            (FunAsrMode::TwoPass, 20)
        );
        let whisper = asr(r#"{"provider":"whisper","model":"/m","workers":2}"#).unwrap();
        assert_eq!(
            whisper,
            AsrConfig::Whisper(WhisperAsrConfig {
                model: "/m".into(),
                workers: Some(2)
            })
        );
        assert!(matches!(
            build_recognizer(&whisper),
            Err(BuildError::Embedded("whisper"))
        ));
        let openai = asr(r#"{"provider":"openai","base_url":"http://127.0.0.1:1"}"#).unwrap();
        assert!(build_recognizer(&openai).is_ok());
        let tts: TtsConfig = serde_json::from_str(r#"{"provider":"espeak"}"#).unwrap();
        assert_eq!(tts, TtsConfig::default());
        assert!(build_synthesizer(&tts).is_ok());
    }

    #[test]
    fn unknown_fields_and_providers_are_refused() {
        assert!(asr(r#"{"provider":"funasr","url":"ws://x","mdoe":"online"}"#).is_err());
        assert!(asr(r#"{"provider":"funasr","url":"ws://x","mode":"3pass"}"#).is_err());
        assert!(asr(r#"{"provider":"kaldi"}"#).is_err());
        let tts = serde_json::from_str::<TtsConfig>(r#"{"provider":"espeak","sped":1}"#);
        assert!(tts.is_err());
    }

    #[test]
    fn bad_values_fail_at_build() {
        let funasr = asr(r#"{"provider":"funasr","url":"http://x"}"#).unwrap();
        assert!(matches!(
            build_recognizer(&funasr),
            Err(BuildError::Invalid(_))
        ));
        let key = asr(
            r#"{"provider":"openai","base_url":"http://x","api_key_env":"VOXGATE_NO_SUCH_VAR_6"}"#,
        )
        .unwrap();
        assert!(matches!(
            build_recognizer(&key),
            Err(BuildError::Invalid(_))
        ));
    }
}
