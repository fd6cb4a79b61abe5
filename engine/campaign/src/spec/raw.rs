//! The campaign file as written: serde structures with spans, checked by
//! [`super::validate`]. Their doc comments become the descriptions of the JSON Schema.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// An outbound call campaign (voxgate). Durations are written like "500ms", "30s", "5m", "2h"
/// or "1d"; relative paths are relative to the campaign file's folder.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "voxgate campaign")]
pub(crate) struct RawCampaign {
    /// The campaign id: 1 to 64 characters of a-z, 0-9, "-" and "_".
    #[schemars(with = "String")]
    pub name: Option<Spanned<String>>,
    /// The SIP trunk (a `[[trunk]]` name of the engine configuration) the calls go out on.
    #[schemars(with = "String")]
    pub trunk: Option<Spanned<String>>,
    /// Fair share of the trunk against other campaigns on it (at least 1; default 1).
    #[schemars(with = "Option<u32>")]
    pub weight: Option<Spanned<i64>>,
    /// IANA time zone of the call windows, e.g. "Asia/Shanghai".
    #[schemars(with = "String")]
    pub timezone: Option<Spanned<String>>,
    /// Holiday calendar file (days off and make-up working days), e.g. "../holidays/cn-2026.toml".
    #[schemars(with = "Option<String>")]
    pub holidays: Option<Spanned<String>>,
    /// Local date ranges with no calls: "2026-10-01", "2026-10-01..2026-10-07" (days included)
    /// or "2026-11-11T12:00..2026-11-11T14:00" (up to the end time).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub forbidden: Vec<Spanned<String>>,
    /// Record calls (stereo WAV). Default true.
    pub recording: Option<bool>,
    /// Give up on an unanswered call after this long. Default "30s".
    #[schemars(with = "Option<String>")]
    pub ring_timeout: Option<Spanned<String>>,
    /// Pause between the end of a call and the next call on the same slot. Default "0s".
    #[schemars(with = "Option<String>")]
    pub slot_interval: Option<Spanned<String>>,
    /// Calls up at once (at least 1). Default 10.
    #[schemars(with = "Option<u32>")]
    pub max_concurrent: Option<Spanned<i64>>,
    /// New calls per second (above 0, at most 1000). Default 1.0.
    #[schemars(with = "Option<f64>")]
    pub calls_per_second: Option<Spanned<f64>>,
    /// Blacklist groups checked before every call.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub blacklist_groups: Vec<Spanned<String>>,
    /// Default prompt variables; columns of the number list override them.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// Call windows per weekday: keys "mon".."sun" or ranges like "mon-fri", values lists of
    /// "HH:MM-HH:MM" (end excluded, "24:00" allowed, no range across midnight).
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub windows: Option<Spanned<RawWindows>>,
    /// The dialogue plugin (and flow file) for the calls.
    #[schemars(with = "RawDialogue")]
    pub dialogue: Option<Spanned<RawDialogue>>,
    /// Number lists imported when the campaign is loaded.
    #[serde(default)]
    #[schemars(with = "Vec<RawNumbers>")]
    pub numbers: Vec<Spanned<RawNumbers>>,
    /// The caller IDs shown to callees.
    #[schemars(with = "Option<RawCallerId>")]
    pub caller_id: Option<Spanned<RawCallerId>>,
    /// Redial rules per call result (e.g. busy, no_answer, powered_off); results not listed
    /// are not redialled.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawRedial>")]
    pub redial: BTreeMap<String, Spanned<RawRedial>>,
    /// When to pause the campaign by itself.
    pub stop: Option<RawStop>,
    /// Actions after a call, by intent level and/or tags.
    #[serde(default)]
    #[schemars(with = "Vec<RawFollowUp>")]
    pub follow_up: Vec<Spanned<RawFollowUp>>,
    /// Where every finished call is POSTed (JSON, through a durable outbox).
    #[schemars(with = "Option<RawWebhook>")]
    pub webhook: Option<Spanned<RawWebhook>>,
    /// A looped background sound mixed under the bot's voice.
    #[schemars(with = "Option<RawBackground>")]
    pub background: Option<Spanned<RawBackground>>,
    /// Plugins run after each call.
    pub post_call: Option<RawPostCall>,
    /// Language, hot words and voice of the campaign's calls.
    #[serde(default)]
    pub speech: RawSpeech,
}

/// Day keys and their time ranges, as written.
pub(crate) type RawWindows = BTreeMap<String, Spanned<Vec<Spanned<String>>>>;

/// The default dialogue, and others at some times of the day.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDialogue {
    /// The dialogue plugin component (.wasm).
    #[schemars(with = "String")]
    pub plugin: Option<Spanned<String>>,
    /// The flow file the plugin interprets (for the stock flow plugin).
    #[schemars(with = "Option<String>")]
    pub flow: Option<Spanned<String>>,
    /// Played before hanging up when the plugin fails.
    #[schemars(with = "Option<String>")]
    pub fallback_prompt: Option<Spanned<String>>,
    /// Other dialogues by local time of day; the default applies outside them.
    #[serde(default)]
    #[schemars(with = "Vec<RawScheduled>")]
    pub schedule: Vec<Spanned<RawScheduled>>,
}

/// A dialogue used during one range of the day.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScheduled {
    /// Local time range, e.g. "12:00-14:00".
    #[schemars(with = "String")]
    pub between: Option<Spanned<String>>,
    /// The dialogue plugin component (.wasm).
    #[schemars(with = "String")]
    pub plugin: Option<Spanned<String>>,
    /// The flow file the plugin interprets.
    #[schemars(with = "Option<String>")]
    pub flow: Option<Spanned<String>>,
    /// Played when the plugin fails (default: the default dialogue's).
    #[schemars(with = "Option<String>")]
    pub fallback_prompt: Option<Spanned<String>>,
}

/// A number list.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNumbers {
    /// The .csv or .xlsx file.
    #[schemars(with = "String")]
    pub file: Option<Spanned<String>>,
    /// Header of the phone column (default: the first of phone, mobile, number, tel, 手机, 电话, 号码).
    #[schemars(with = "Option<String>")]
    pub phone_column: Option<Spanned<String>>,
    /// The sheet of an .xlsx file (default: the first).
    #[schemars(with = "Option<String>")]
    pub sheet: Option<Spanned<String>>,
    /// Dial the numbers in random order. Default false.
    pub shuffle: Option<bool>,
    /// How numbers without a country code are read: "CN" (default) or a calling code like "+1".
    #[schemars(with = "Option<String>")]
    pub country: Option<Spanned<String>>,
}

/// The caller-ID pool.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCallerId {
    /// The numbers shown (empty: the trunk's own).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub numbers: Vec<Spanned<String>>,
    /// "round_robin" (default), "random" or "same_region".
    #[schemars(with = "Option<String>")]
    pub strategy: Option<Spanned<String>>,
    /// At most this many calls at once per caller number.
    #[schemars(with = "Option<u32>")]
    pub max_concurrent_per_number: Option<Spanned<i64>>,
    /// Number-prefix table (CSV: prefix,region), needed for "same_region".
    #[schemars(with = "Option<String>")]
    pub regions: Option<Spanned<String>>,
}

/// Redial after one result.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRedial {
    /// Wait this long after the attempt, e.g. "10m".
    #[schemars(with = "String")]
    pub delay: Option<Spanned<String>>,
    /// Attempts in all for the number, the first included (1 to 20).
    #[schemars(with = "u32")]
    pub max_attempts: Option<Spanned<i64>>,
}

/// Stop conditions: the campaign pauses when one is met.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStop {
    /// Pause after this many leads today (campaign time zone).
    #[schemars(with = "Option<u32>")]
    pub max_leads_per_day: Option<Spanned<i64>>,
    /// Intent levels that count as leads (A-F). Default ["A"].
    #[schemars(with = "Option<Vec<String>>")]
    pub lead_levels: Option<Spanned<Vec<Spanned<String>>>>,
    /// Pause when fewer than `rate` of the `last` attempts were answered.
    #[schemars(with = "Option<RawConnectRate>")]
    pub min_connect_rate: Option<Spanned<RawConnectRate>>,
}

/// A minimum connect rate over the last attempts.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConnectRate {
    /// How many of the latest attempts to look at (1 to 10000).
    #[schemars(with = "u32")]
    pub last: Option<Spanned<i64>>,
    /// The lowest share answered, 0 to 1 (0.05 is 5%).
    #[schemars(with = "f64")]
    pub rate: Option<Spanned<f64>>,
}

/// An action after calls that match by level or by tag.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFollowUp {
    /// Intent levels (A-F) that trigger it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub levels: Vec<Spanned<String>>,
    /// Tags that trigger it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub tags: Vec<Spanned<String>>,
    /// POST the call record to this URL (one of webhook / blacklist).
    #[schemars(with = "Option<String>")]
    pub webhook: Option<Spanned<String>>,
    /// Add the number to this blacklist group (one of webhook / blacklist).
    #[schemars(with = "Option<String>")]
    pub blacklist: Option<Spanned<String>>,
}

/// The finished-calls webhook.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    /// http:// or https:// URL.
    #[schemars(with = "String")]
    pub url: Option<Spanned<String>>,
    /// Name of the environment variable holding the HMAC-SHA256 key (never the key itself).
    #[schemars(with = "Option<String>")]
    pub secret_env: Option<Spanned<String>>,
}

/// Background sound.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBackground {
    /// The sound file (WAV, MP3, OGG or FLAC), looped.
    #[schemars(with = "String")]
    pub file: Option<Spanned<String>>,
    /// Its level in dB (-60 to 0). Default -18.
    #[schemars(with = "Option<f64>")]
    pub gain_db: Option<Spanned<f64>>,
}

/// Speech settings.
#[derive(Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSpeech {
    /// Language of the calls for recognition and synthesis: "en", "zh", "zh-CN" …
    #[schemars(with = "Option<String>")]
    pub language: Option<Spanned<String>>,
    /// Words and phrases the recogniser should favour (product names, "续保").
    #[serde(default)]
    pub hot_words: Vec<String>,
    /// The synthesiser's voice (a provider's voice name, e.g. "en-us" or "cmn" for espeak-ng).
    pub voice: Option<String>,
}

/// Post-call plugins.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPostCall {
    /// Analysis plugin (.wasm): intent level, tags, summary.
    #[schemars(with = "Option<String>")]
    pub analysis: Option<Spanned<String>>,
    /// CRM-sync plugin (.wasm).
    #[schemars(with = "Option<String>")]
    pub crm: Option<Spanned<String>>,
}
