//! [`FunAsrClient`]: a [`Recognizer`] speaking the FunASR WebSocket protocol of
//! `funasr-wss-server` (offline) and `funasr-wss-server-2pass` (online, 2pass).
//!
//! One connection per utterance: a JSON start message (mode, chunk size, `wav_format: "pcm"`,
//! `audio_fs: 16000`, ITN on, the hot words as a JSON string mapping each word to the
//! configured weight), the utterance as 16 kHz s16le PCM in binary messages (60 ms each in the
//! streaming modes, one piece offline), then `{"is_speaking": false}`. The server answers
//! JSON messages `{"mode", "text", "wav_name", "is_final", ...}`:
//!
//! | our mode  | partial hypotheses        | final result                                   |
//! | --------- | ------------------------- | ---------------------------------------------- |
//! | `offline` | none                      | the first `offline` message                    |
//! | `online`  | each `online` piece       | the pieces joined, at `is_final` or close      |
//! | `2pass`   | `2pass-online` pieces     | the `2pass-offline` texts, at `is_final` or close |
//!
//! Partial hypotheses go to [`AsrRequest::partials`] as the whole utterance so far. FunASR
//! reports no confidence: 1.0 for non-empty text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio_tungstenite::tungstenite::Message;

use crate::config::BuildError;
use crate::{AsrError, AsrRequest, BoxFuture, Recognition, Recognizer, wav};

/// Bytes of 16 kHz s16le PCM per binary message in the streaming modes (60 ms).
const STREAM_CHUNK_BYTES: usize = 16_000 * 2 * 60 / 1000;

/// FunASR recognition mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FunAsrMode {
    /// Whole-utterance recognition (`funasr-wss-server`).
    #[serde(rename = "offline")]
    Offline,
    /// Streaming recognition only.
    #[serde(rename = "online")]
    Online,
    /// Streaming partials corrected by an offline pass (`funasr-wss-server-2pass`).
    #[serde(rename = "2pass")]
    TwoPass,
}

impl FunAsrMode {
    /// The protocol's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            FunAsrMode::Offline => "offline",
            FunAsrMode::Online => "online",
            FunAsrMode::TwoPass => "2pass",
        }
    }
}

/// Settings of a [`FunAsrClient`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunAsrConfig {
    /// Server address, `ws://host:port` or `wss://host:port`.
    pub url: String,
    /// Recognition mode.
    #[serde(default = "default_mode")]
    pub mode: FunAsrMode,
    /// Weight given to every hot word.
    #[serde(default = "default_hot_word_weight")]
    pub hot_word_weight: u32,
    /// Time-out of one whole exchange, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_mode() -> FunAsrMode {
    FunAsrMode::TwoPass
}

fn default_hot_word_weight() -> u32 {
    20
}

fn default_timeout_ms() -> u64 {
    10_000
}

/// A recognizer that talks to a FunASR WebSocket server, one connection per utterance.
#[derive(Debug)]
pub struct FunAsrClient {
    config: FunAsrConfig,
    name: String,
    utterances: AtomicU64,
}

impl FunAsrClient {
    /// Checks the settings and builds the client (it connects per utterance).
    pub fn new(config: &FunAsrConfig) -> Result<Self, BuildError> {
        if !(config.url.starts_with("ws://") || config.url.starts_with("wss://")) {
            return Err(BuildError::Invalid(format!(
                "funasr: url must start with ws:// or wss://, got {:?}",
                config.url
            )));
        }
        if config.timeout_ms == 0 {
            return Err(BuildError::Invalid(
                "funasr: timeout_ms must be above 0".into(),
            ));
        }
        Ok(Self {
            config: config.clone(),
            name: format!("funasr:{}", config.mode.as_str()),
            utterances: AtomicU64::new(0),
        })
    }

    /// The JSON start message for one utterance.
    fn start_message(&self, wav_name: &str, hot_words: &[String]) -> String {
        let hotwords = if hot_words.is_empty() {
            String::new()
        } else {
            let weights: serde_json::Map<String, serde_json::Value> = hot_words
                .iter()
                .map(|word| (word.clone(), self.config.hot_word_weight.into()))
                .collect();
            serde_json::Value::Object(weights).to_string()
        };
        serde_json::json!({
            "mode": self.config.mode.as_str(),
            "chunk_size": [5, 10, 5],
            "chunk_interval": 10,
            "wav_name": wav_name,
            "wav_format": "pcm",
            "audio_fs": 16_000,
            "is_speaking": true,
            "itn": true,
            "hotwords": hotwords,
        })
        .to_string()
    }

    async fn exchange(&self, request: AsrRequest) -> Result<Recognition, AsrError> {
        let pcm16k = wav::to_i16(
            &wav::resample(&wav::to_f32(&request.audio), crate::PCM_RATE, 16_000)
                .map_err(AsrError::Rejected)?,
        );
        let bytes: Vec<u8> = pcm16k.iter().flat_map(|s| s.to_le_bytes()).collect();
        let number = self.utterances.fetch_add(1, Ordering::Relaxed);
        let wav_name = format!("voxgate-{number}");
        let (mut socket, _) = tokio_tungstenite::connect_async(self.config.url.as_str())
            .await
            .map_err(|error| AsrError::Unavailable(format!("{}: {error}", self.config.url)))?;
        let unavailable = |error: tokio_tungstenite::tungstenite::Error| {
            AsrError::Unavailable(format!("{}: {error}", self.config.url))
        };
        let start = self.start_message(&wav_name, &request.hot_words);
        socket
            .send(Message::text(start))
            .await
            .map_err(unavailable)?;
        let chunk = match self.config.mode {
            FunAsrMode::Offline => bytes.len().max(1),
            FunAsrMode::Online | FunAsrMode::TwoPass => STREAM_CHUNK_BYTES,
        };
        for piece in bytes.chunks(chunk) {
            socket
                .send(Message::binary(piece.to_vec()))
                .await
                .map_err(unavailable)?;
        }
        let end = serde_json::json!({ "is_speaking": false }).to_string();
        socket.send(Message::text(end)).await.map_err(unavailable)?;

        let mut transcript = Transcript::new(self.config.mode);
        let outcome = loop {
            let Some(message) = socket.next().await else {
                break transcript.closed();
            };
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) => break transcript.closed(),
                Ok(Message::Binary(_)) => {
                    break Err(AsrError::Protocol("unexpected binary message".into()));
                }
                Ok(_) => continue,
                Err(error) => break Err(unavailable(error)),
            };
            let reply: Reply = serde_json::from_str(text.as_str()).map_err(|error| {
                AsrError::Protocol(format!("bad FunASR message ({error}): {}", excerpt(&text)))
            })?;
            if let Some(done) = transcript.on_reply(reply, request.partials.as_ref()) {
                break Ok(done);
            }
        };
        // Best effort: the result is known, a failing close changes nothing.
        let _ = socket.close(None).await;
        outcome
    }
}

impl Recognizer for FunAsrClient {
    fn name(&self) -> &str {
        &self.name
    }

    fn recognize(&self, request: AsrRequest) -> BoxFuture<'_, Result<Recognition, AsrError>> {
        Box::pin(async move {
            if request.audio.is_empty() {
                return Err(AsrError::Rejected("empty utterance".into()));
            }
            let timeout = Duration::from_millis(self.config.timeout_ms);
            tokio::time::timeout(timeout, self.exchange(request))
                .await
                .unwrap_or(Err(AsrError::Timeout(timeout)))
        })
    }
}

/// One server message.
#[derive(Deserialize)]
struct Reply {
    mode: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    is_final: bool,
}

/// What has been recognised so far in one exchange.
struct Transcript {
    mode: FunAsrMode,
    /// Final-pass text (`offline`/`2pass-offline`), or the joined pieces in online mode.
    committed: String,
    /// `2pass-online` pieces since the last `2pass-offline` message.
    pending: String,
    /// Whether any final-pass message arrived.
    got_final_pass: bool,
}

impl Transcript {
    fn new(mode: FunAsrMode) -> Self {
        Self {
            mode,
            committed: String::new(),
            pending: String::new(),
            got_final_pass: false,
        }
    }

    /// Takes one reply; returns the result once the exchange is complete.
    fn on_reply(
        &mut self,
        reply: Reply,
        partials: Option<&tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Option<Recognition> {
        let partial = match (self.mode, reply.mode.as_str()) {
            (FunAsrMode::Offline, "offline") => {
                self.committed.push_str(&reply.text);
                return Some(self.result());
            }
            (FunAsrMode::Online, "online") => {
                self.committed.push_str(&reply.text);
                Some(self.committed.clone())
            }
            (FunAsrMode::TwoPass, "2pass-online") => {
                self.pending.push_str(&reply.text);
                Some(format!("{}{}", self.committed, self.pending))
            }
            (FunAsrMode::TwoPass, "2pass-offline") => {
                self.committed.push_str(&reply.text);
                self.pending.clear();
                self.got_final_pass = true;
                None
            }
            _ => None,
        };
        if let (Some(text), Some(sender)) = (partial, partials)
            && !text.trim().is_empty()
        {
            // A dropped receiver only means nobody wants partials any more.
            let _ = sender.send(text);
        }
        let final_kind = matches!(
            (self.mode, reply.mode.as_str()),
            (FunAsrMode::Online, "online") | (FunAsrMode::TwoPass, "2pass-offline")
        );
        (reply.is_final && final_kind).then(|| self.result())
    }

    /// The server closed the connection: finish if the mode allows it.
    fn closed(&self) -> Result<Recognition, AsrError> {
        match self.mode {
            FunAsrMode::Online => Ok(self.result()),
            FunAsrMode::TwoPass if self.got_final_pass => Ok(self.result()),
            FunAsrMode::Offline | FunAsrMode::TwoPass => Err(AsrError::Unavailable(
                "FunASR server closed the connection before the final result".into(),
            )),
        }
    }

    fn result(&self) -> Recognition {
        let text = self.committed.trim().to_string();
        let confidence = if text.is_empty() { 0.0 } else { 1.0 };
        Recognition { text, confidence }
    }
}

fn excerpt(text: &str) -> String {
    crate::http::excerpt(text.as_bytes())
}
