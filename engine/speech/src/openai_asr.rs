//! [`OpenAiTranscriber`]: a [`Recognizer`] for OpenAI-compatible transcription endpoints
//! (`POST {base_url}/v1/audio/transcriptions`), as served by whisper.cpp's server,
//! faster-whisper servers, FunASR's OpenAI-compatible server and vLLM.
//!
//! The utterance goes up as a 16 kHz mono 16-bit WAV in a multipart form with `model`,
//! `language` (when the request has one), `prompt` (the hot words joined by ", ") and
//! `response_format=verbose_json`. The answer's `text` is the result; when the server sends
//! `segments[].avg_logprob` (verbose JSON), the confidence is `exp` of their mean, otherwise
//! 1.0 for non-empty text. A server that ignores `verbose_json` and answers plain `json`
//! (`{"text": ...}`) works the same, with no confidence.

use std::time::Duration;

use serde::Deserialize;

use crate::config::BuildError;
use crate::http::{self, Failure};
use crate::{AsrError, AsrRequest, BoxFuture, Recognition, Recognizer, wav};

/// Settings of an [`OpenAiTranscriber`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiAsrConfig {
    /// Server root, e.g. `http://127.0.0.1:8080` (the adapter appends `/v1/audio/transcriptions`).
    pub base_url: String,
    /// Model name sent in the form (`whisper-1`, `large-v3`, ...).
    #[serde(default = "default_model")]
    pub model: String,
    /// Name of the environment variable holding a bearer API key; none sends no key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Time-out of one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_model() -> String {
    "whisper-1".into()
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// A recognizer that posts each utterance to an OpenAI-compatible transcription endpoint.
#[derive(Debug, Clone)]
pub struct OpenAiTranscriber {
    client: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
    name: String,
}

impl OpenAiTranscriber {
    /// Builds the adapter; reads the API key from `config.api_key_env` now.
    pub fn new(config: &OpenAiAsrConfig) -> Result<Self, BuildError> {
        if config.base_url.trim().is_empty() {
            return Err(BuildError::Invalid("openai asr: base_url is empty".into()));
        }
        if config.timeout_ms == 0 {
            return Err(BuildError::Invalid(
                "openai asr: timeout_ms must be above 0".into(),
            ));
        }
        let timeout = Duration::from_millis(config.timeout_ms);
        Ok(Self {
            client: http::client(timeout)?,
            url: http::endpoint(&config.base_url, "/v1/audio/transcriptions"),
            model: config.model.clone(),
            api_key: http::api_key(config.api_key_env.as_deref())?,
            timeout,
            name: format!("openai:{}", config.model),
        })
    }

    async fn transcribe(&self, request: AsrRequest) -> Result<Recognition, AsrError> {
        if request.audio.is_empty() {
            return Err(AsrError::Rejected("empty utterance".into()));
        }
        let wav = wav::utterance_wav_16k(&request.audio).map_err(AsrError::Rejected)?;
        let file = reqwest::multipart::Part::bytes(wav)
            .file_name("utterance.wav")
            .mime_str("audio/wav")
            .map_err(|error| AsrError::Rejected(error.to_string()))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.model.clone())
            .text("response_format", "verbose_json");
        if let Some(language) = request.language.filter(|l| !l.is_empty()) {
            form = form.text("language", language);
        }
        if !request.hot_words.is_empty() {
            form = form.text("prompt", request.hot_words.join(", "));
        }
        let mut post = self.client.post(&self.url).multipart(form);
        if let Some(key) = &self.api_key {
            post = post.bearer_auth(key);
        }
        let body = http::send(post).await.map_err(|failure| match failure {
            Failure::Timeout => AsrError::Timeout(self.timeout),
            Failure::Other(reason) => AsrError::Unavailable(format!("{}: {reason}", self.url)),
        })?;
        parse_transcription(&body)
    }
}

impl Recognizer for OpenAiTranscriber {
    fn name(&self) -> &str {
        &self.name
    }

    fn recognize(&self, request: AsrRequest) -> BoxFuture<'_, Result<Recognition, AsrError>> {
        Box::pin(self.transcribe(request))
    }
}

/// The fields read from a `json` or `verbose_json` transcription.
#[derive(Deserialize)]
struct Transcription {
    text: String,
    #[serde(default)]
    segments: Vec<Segment>,
}

#[derive(Deserialize)]
struct Segment {
    #[serde(default)]
    avg_logprob: Option<f64>,
}

/// Reads a transcription answer; see the module docs for the confidence rule.
fn parse_transcription(body: &[u8]) -> Result<Recognition, AsrError> {
    let parsed: Transcription = serde_json::from_slice(body).map_err(|error| {
        AsrError::Protocol(format!(
            "transcription is not the expected JSON ({error}): {}",
            http::excerpt(body)
        ))
    })?;
    let text = parsed.text.trim().to_string();
    let logprobs: Vec<f64> = parsed
        .segments
        .iter()
        .filter_map(|segment| segment.avg_logprob)
        .filter(|logprob| logprob.is_finite())
        .collect();
    let confidence = if text.is_empty() {
        0.0
    } else if logprobs.is_empty() {
        1.0
    } else {
        let mean = logprobs.iter().sum::<f64>() / logprobs.len() as f64;
        mean.exp().clamp(0.0, 1.0) as f32
    };
    Ok(Recognition { text, confidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbose_json_confidence_is_exp_mean_logprob() {
        let body = br#"{"task":"transcribe","text":" hello there ","segments":[
            {"text":"hello","avg_logprob":-0.2},{"text":"there","avg_logprob":-0.4}]}"#;
        let recognition = parse_transcription(body).unwrap();
        assert_eq!(recognition.text, "hello there");
        assert!((recognition.confidence - (-0.3f64).exp() as f32).abs() < 1e-6);
    }

    #[test]
    fn plain_json_has_full_confidence_and_empty_text_none() {
        assert_eq!(
            parse_transcription(br#"{"text":"yes"}"#)
                .unwrap()
                .confidence,
            1.0
        );
        assert_eq!(
            parse_transcription(br#"{"text":"  "}"#).unwrap().confidence,
            0.0
        );
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        assert!(matches!(
            parse_transcription(b"<html>"),
            Err(AsrError::Protocol(_))
        ));
        assert!(matches!(
            parse_transcription(br#"{"txt":1}"#),
            Err(AsrError::Protocol(_))
        ));
    }
}
