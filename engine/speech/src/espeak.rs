//! [`EspeakNg`]: the embedded default [`Synthesizer`], running the `espeak-ng` program.
//!
//! Each request runs `espeak-ng -v VOICE -s WPM --stdout` with the text on standard input and
//! reads a 22.05 kHz WAV back, resampled to 8 kHz. The voice is, in order: the request's
//! voice, the configured voice, the request's language (`zh*`/`cmn*` is Mandarin, anything
//! else English), and the text itself (any hanzi means Mandarin). English is `en-us`.
//!
//! Mandarin goes through [`crate::mandarin::to_espeak_pinyin`] and the `cmn-latn-pinyin`
//! voice, because Debian's espeak-ng does not read hanzi; the voice names `cmn`, `zh` and
//! `cmn-latn-pinyin` all select this path.

use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::config::BuildError;
use crate::mandarin;
use crate::{BoxFuture, Synthesizer, TtsError, TtsRequest, wav};

/// The English voice used when nothing asks for another.
pub const ENGLISH_VOICE: &str = "en-us";
/// The espeak-ng voice that reads tone-numbered pinyin as Mandarin.
pub const MANDARIN_VOICE: &str = "cmn-latn-pinyin";

/// Settings of an [`EspeakNg`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EspeakConfig {
    /// The program to run (a name looked up in `PATH`, or a path).
    #[serde(default = "default_binary")]
    pub binary: String,
    /// Voice for every request that names none (`en-us`, `en-gb+f3`, `cmn`); none picks by
    /// language.
    #[serde(default)]
    pub voice: Option<String>,
    /// Speaking rate in words per minute (espeak-ng's `-s`, 80..=450).
    #[serde(default = "default_speed_wpm")]
    pub speed_wpm: u32,
    /// Time-out of one synthesis, in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_binary() -> String {
    "espeak-ng".into()
}

fn default_speed_wpm() -> u32 {
    165
}

fn default_timeout_ms() -> u64 {
    10_000
}

impl Default for EspeakConfig {
    fn default() -> Self {
        Self {
            binary: default_binary(),
            voice: None,
            speed_wpm: default_speed_wpm(),
            timeout_ms: default_timeout_ms(),
        }
    }
}

/// A synthesizer running the `espeak-ng` program once per sentence.
#[derive(Debug, Clone)]
pub struct EspeakNg {
    config: EspeakConfig,
    timeout: Duration,
}

impl EspeakNg {
    /// Checks the settings. The program itself is looked for at the first synthesis.
    pub fn new(config: &EspeakConfig) -> Result<Self, BuildError> {
        if !(80..=450).contains(&config.speed_wpm) {
            return Err(BuildError::Invalid(format!(
                "espeak: speed_wpm {} is outside 80..=450",
                config.speed_wpm
            )));
        }
        if config.timeout_ms == 0 {
            return Err(BuildError::Invalid(
                "espeak: timeout_ms must be above 0".into(),
            ));
        }
        if let Some(voice) = &config.voice {
            check_voice(voice).map_err(|error| BuildError::Invalid(error.to_string()))?;
        }
        Ok(Self {
            config: config.clone(),
            timeout: Duration::from_millis(config.timeout_ms),
        })
    }

    /// The espeak-ng voice and the text to feed it for `request`.
    fn plan(&self, request: &TtsRequest) -> Result<(String, String), TtsError> {
        let named = request.voice.as_deref().or(self.config.voice.as_deref());
        let mandarin = match named {
            Some(voice) => {
                check_voice(voice)?;
                if !is_mandarin_voice(voice) {
                    return Ok((voice.to_string(), request.text.clone()));
                }
                true
            }
            None => match request.language.as_deref() {
                Some(language) => is_mandarin_voice(language),
                None => mandarin::has_hanzi(&request.text),
            },
        };
        Ok(if mandarin {
            (
                MANDARIN_VOICE.to_string(),
                mandarin::to_espeak_pinyin(&request.text),
            )
        } else {
            (ENGLISH_VOICE.to_string(), request.text.clone())
        })
    }

    async fn run(&self, voice: &str, text: &str) -> Result<Vec<i16>, TtsError> {
        let binary = &self.config.binary;
        let mut child = Command::new(binary)
            .args([
                "-v",
                voice,
                "-s",
                &self.config.speed_wpm.to_string(),
                "--stdout",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => {
                    TtsError::Unavailable(format!("espeak-ng not found: {binary}: {error}"))
                }
                _ => TtsError::Unavailable(format!("cannot run {binary}: {error}")),
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A program that quit early (unknown voice) closes its input: its exit status and
            // error output below say why, so a broken pipe here is not the error to report.
            if let Err(error) = stdin.write_all(text.as_bytes()).await
                && error.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(TtsError::Unavailable(format!(
                    "writing to {binary}: {error}"
                )));
            }
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|error| TtsError::Unavailable(format!("waiting for {binary}: {error}")))?;
        let stderr = crate::http::excerpt(&output.stderr);
        if !output.status.success() {
            if stderr.contains("voice does not exist") {
                return Err(TtsError::Rejected(format!(
                    "unknown espeak-ng voice {voice:?}"
                )));
            }
            return Err(TtsError::Unavailable(format!(
                "{binary} failed ({}): {stderr}",
                output.status
            )));
        }
        let samples = wav::decode_to_8k_mono(&output.stdout).map_err(TtsError::BadAudio)?;
        if samples.is_empty() {
            return Err(TtsError::BadAudio(format!(
                "{binary} produced no audio for {text:?}"
            )));
        }
        Ok(samples)
    }
}

impl Synthesizer for EspeakNg {
    fn cache_identity(&self) -> String {
        format!(
            "espeak-ng|{}|{}|{}",
            self.config.binary,
            self.config.speed_wpm,
            self.config.voice.as_deref().unwrap_or("")
        )
    }

    fn synthesize(&self, request: TtsRequest) -> BoxFuture<'_, Result<Vec<i16>, TtsError>> {
        Box::pin(async move {
            if request.text.trim().is_empty() {
                return Err(TtsError::Rejected("empty text".into()));
            }
            let (voice, text) = self.plan(&request)?;
            tokio::time::timeout(self.timeout, self.run(&voice, &text))
                .await
                .unwrap_or(Err(TtsError::Timeout(self.timeout)))
        })
    }
}

/// Whether a voice or language name means Mandarin.
fn is_mandarin_voice(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "zh" || name.starts_with("zh-") || name.starts_with("zh_") || name.starts_with("cmn")
}

/// Refuses voice names that are not plain espeak-ng voice names (they become an argument).
fn check_voice(voice: &str) -> Result<(), TtsError> {
    let plain = !voice.is_empty()
        && !voice.starts_with('-')
        && voice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+/".contains(c));
    if plain {
        Ok(())
    } else {
        Err(TtsError::Rejected(format!(
            "invalid espeak-ng voice name {voice:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(voice: Option<&str>, language: Option<&str>, text: &str) -> (String, String) {
        let espeak = EspeakNg::new(&EspeakConfig::default()).unwrap();
        let request = TtsRequest {
            text: text.into(),
            voice: voice.map(str::to_string),
            language: language.map(str::to_string),
        };
        espeak.plan(&request).unwrap()
    }

    #[test]
    fn voice_follows_request_language_and_text() {
        assert_eq!(plan(None, None, "hello"), ("en-us".into(), "hello".into()));
        assert_eq!(
            plan(None, None, "你好"),
            (MANDARIN_VOICE.into(), "ni3 hao3".into())
        );
        assert_eq!(
            plan(None, Some("zh-CN"), "OK"),
            (MANDARIN_VOICE.into(), "OK".into())
        );
        assert_eq!(plan(None, Some("en"), "你好").0, "en-us");
        assert_eq!(plan(Some("cmn"), None, "你好").1, "ni3 hao3");
        assert_eq!(
            plan(Some("en-gb+f3"), None, "hi"),
            ("en-gb+f3".into(), "hi".into())
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let config = EspeakConfig {
            voice: Some("--help".into()),
            ..EspeakConfig::default()
        };
        assert!(EspeakNg::new(&config).is_err());
        let config = EspeakConfig {
            speed_wpm: 5,
            ..EspeakConfig::default()
        };
        assert!(EspeakNg::new(&config).is_err());
    }
}
