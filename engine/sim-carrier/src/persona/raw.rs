//! The persona file as written: every value keeps its place in the text for error messages.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub carrier: Option<Spanned<RawCarrier>>,
    #[serde(default)]
    pub persona: Vec<Spanned<RawPersona>>,
}

/// `[carrier]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCarrier {
    pub listen: Option<Spanned<String>>,
    pub rtp_ip: Option<Spanned<String>>,
    pub rtp_ports: Option<Spanned<Vec<Spanned<i64>>>>,
    pub language: Option<Spanned<String>>,
    pub voice: Option<Spanned<String>>,
    pub answer_codec: Option<Spanned<String>>,
    pub min_speech_ms: Option<Spanned<i64>>,
    pub end_silence_ms: Option<Spanned<i64>>,
}

/// One `[[persona]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPersona {
    pub name: Option<Spanned<String>>,
    pub numbers: Option<Spanned<Vec<Spanned<String>>>>,
    pub outcome: Option<Spanned<String>>,
    pub ring_ms: Option<Spanned<i64>>,
    pub code: Option<Spanned<i64>>,
    pub reason: Option<Spanned<String>>,
    pub early_media: Option<Spanned<String>>,
    pub announcement: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    #[serde(default)]
    pub turns: Vec<Spanned<RawTurn>>,
    pub hangup_after_ms: Option<Spanned<i64>>,
}

/// One turn: exactly one action key, plus `interrupt_after_ms` for `say` / `play`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTurn {
    pub say: Option<Spanned<String>>,
    pub play: Option<Spanned<String>>,
    pub digits: Option<Spanned<String>>,
    pub silence_ms: Option<Spanned<i64>>,
    pub hangup: Option<Spanned<bool>>,
    pub interrupt_after_ms: Option<Spanned<i64>>,
}
