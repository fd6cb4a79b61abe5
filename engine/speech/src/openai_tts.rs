//! [`OpenAiSpeech`]: a [`Synthesizer`] for OpenAI-compatible speech endpoints
//! (`POST {base_url}/v1/audio/speech` with `{model, input, voice, response_format: "wav"}`).
//!
//! The WAV answer may have any rate and channel count; it is mixed down to mono and
//! resampled to 8 kHz.

use std::time::Duration;

use serde::Deserialize;

use crate::config::BuildError;
use crate::http::{self, Failure};
use crate::{BoxFuture, Synthesizer, TtsError, TtsRequest, wav};

/// Settings of an [`OpenAiSpeech`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiTtsConfig {
    /// Server root, e.g. `http://127.0.0.1:8880` (the adapter appends `/v1/audio/speech`).
    pub base_url: String,
    /// Model name (`tts-1`, `kokoro`, ...).
    #[serde(default = "default_model")]
    pub model: String,
    /// Voice used when a request names none.
    #[serde(default = "default_voice")]
    pub voice: String,
    /// Name of the environment variable holding a bearer API key; none sends no key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Time-out of one request, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_model() -> String {
    "tts-1".into()
}

fn default_voice() -> String {
    "alloy".into()
}

fn default_timeout_ms() -> u64 {
    15_000
}

/// A synthesizer that asks an OpenAI-compatible speech endpoint for WAV audio.
#[derive(Debug, Clone)]
pub struct OpenAiSpeech {
    client: reqwest::Client,
    url: String,
    model: String,
    voice: String,
    api_key: Option<String>,
    timeout: Duration,
}

impl OpenAiSpeech {
    /// Builds the adapter; reads the API key from `config.api_key_env` now.
    pub fn new(config: &OpenAiTtsConfig) -> Result<Self, BuildError> {
        if config.base_url.trim().is_empty() {
            return Err(BuildError::Invalid("openai tts: base_url is empty".into()));
        }
        if config.timeout_ms == 0 {
            return Err(BuildError::Invalid(
                "openai tts: timeout_ms must be above 0".into(),
            ));
        }
        let timeout = Duration::from_millis(config.timeout_ms);
        Ok(Self {
            client: http::client(timeout)?,
            url: http::endpoint(&config.base_url, "/v1/audio/speech"),
            model: config.model.clone(),
            voice: config.voice.clone(),
            api_key: http::api_key(config.api_key_env.as_deref())?,
            timeout,
        })
    }

    async fn speak(&self, request: TtsRequest) -> Result<Vec<i16>, TtsError> {
        if request.text.trim().is_empty() {
            return Err(TtsError::Rejected("empty text".into()));
        }
        let voice = request.voice.as_deref().unwrap_or(&self.voice);
        let body = serde_json::json!({
            "model": self.model,
            "input": request.text,
            "voice": voice,
            "response_format": "wav",
        });
        let mut post = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            post = post.bearer_auth(key);
        }
        let audio = http::send(post).await.map_err(|failure| match failure {
            Failure::Timeout => TtsError::Timeout(self.timeout),
            Failure::Other(reason) => TtsError::Unavailable(format!("{}: {reason}", self.url)),
        })?;
        let samples = wav::decode_to_8k_mono(&audio).map_err(TtsError::BadAudio)?;
        if samples.is_empty() {
            return Err(TtsError::BadAudio("the WAV holds no samples".into()));
        }
        Ok(samples)
    }
}

impl Synthesizer for OpenAiSpeech {
    fn cache_identity(&self) -> String {
        format!("openai-tts|{}|{}|{}", self.url, self.model, self.voice)
    }

    fn synthesize(&self, request: TtsRequest) -> BoxFuture<'_, Result<Vec<i16>, TtsError>> {
        Box::pin(self.speak(request))
    }
}
