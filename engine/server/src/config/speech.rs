//! `[speech]`: the recogniser and synthesiser every call uses, and the defaults campaigns
//! override (language, hot words, voice).
//!
//! ```toml
//! [speech]
//! language = "en"
//! asr_timeout_ms = 8000
//! tts_cache_dir = "../var/tts-cache"   # synthesised prompts survive restarts
//! asr = { provider = "whisper", model = "../whisper-models/tiny.en" }
//! tts = { provider = "espeak" }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use voxgate_speech::config::{AsrConfig, TtsConfig};

/// Default memory budget of the TTS cache: 64 MiB of 16-bit samples.
const DEFAULT_TTS_CACHE_SAMPLES: usize = 32 << 20;

/// The validated `[speech]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechSettings {
    /// The recogniser; none leaves utterances without text (plugins get `no-recognizer`).
    pub asr: Option<AsrConfig>,
    /// The synthesiser; none leaves text prompts unspoken.
    pub tts: Option<TtsConfig>,
    /// A recognition taking longer reaches the dialogue as an ASR error.
    pub asr_timeout: Duration,
    /// Where synthesised prompts are kept across restarts (none: memory only).
    pub tts_cache_dir: Option<PathBuf>,
    /// Memory budget of the TTS cache, in samples.
    pub tts_cache_samples: usize,
    /// Language when a campaign sets none.
    pub language: Option<String>,
    /// Hot words when a campaign sets none.
    pub hot_words: Vec<String>,
    /// Voice when a campaign sets none.
    pub voice: Option<String>,
}

impl Default for SpeechSettings {
    fn default() -> Self {
        Self {
            asr: None,
            tts: None,
            asr_timeout: Duration::from_secs(8),
            tts_cache_dir: None,
            tts_cache_samples: DEFAULT_TTS_CACHE_SAMPLES,
            language: None,
            hot_words: Vec::new(),
            voice: None,
        }
    }
}

/// `[speech]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSpeech {
    asr: Option<AsrConfig>,
    tts: Option<TtsConfig>,
    asr_timeout_ms: Option<Spanned<u64>>,
    tts_cache_dir: Option<PathBuf>,
    tts_cache_mb: Option<Spanned<u64>>,
    language: Option<String>,
    #[serde(default)]
    hot_words: Vec<String>,
    voice: Option<String>,
}

impl RawSpeech {
    /// Check the numbers and resolve paths against `base` (the configuration's folder);
    /// problems go to `issue` with their place in the file.
    pub(super) fn validate(
        self,
        base: &Path,
        mut issue: impl FnMut(std::ops::Range<usize>, String),
    ) -> SpeechSettings {
        let defaults = SpeechSettings::default();
        let asr_timeout = match self.asr_timeout_ms {
            Some(t) if !(500..=60_000).contains(t.get_ref()) => {
                issue(
                    t.span(),
                    format!(
                        "asr_timeout_ms: {} is out of range; expected 500 to 60000",
                        t.get_ref()
                    ),
                );
                defaults.asr_timeout
            }
            Some(t) => Duration::from_millis(*t.get_ref()),
            None => defaults.asr_timeout,
        };
        let tts_cache_samples = match self.tts_cache_mb {
            Some(mb) if !(1..=4096).contains(mb.get_ref()) => {
                issue(
                    mb.span(),
                    format!(
                        "tts_cache_mb: {} is out of range; expected 1 to 4096",
                        mb.get_ref()
                    ),
                );
                defaults.tts_cache_samples
            }
            Some(mb) => (*mb.get_ref() as usize) << 19,
            None => defaults.tts_cache_samples,
        };
        let asr = self.asr.map(|asr| match asr {
            AsrConfig::Whisper(mut whisper) => {
                whisper.model = base.join(&whisper.model);
                AsrConfig::Whisper(whisper)
            }
            other => other,
        });
        SpeechSettings {
            asr,
            tts: self.tts,
            asr_timeout,
            tts_cache_dir: self.tts_cache_dir.map(|d| base.join(d)),
            tts_cache_samples,
            language: self.language,
            hot_words: self.hot_words,
            voice: self.voice,
        }
    }
}
