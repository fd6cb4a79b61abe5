//! A checked campaign: resolved paths, durations in milliseconds, the policy types the dialer
//! uses.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::tz::TimeZone;

use crate::UnixMs;
use crate::admission::Limits;
use crate::calendar::{Calendar, Holidays, TimeRange, local_minute};
use crate::caller_id::CallerIdConfig;
use crate::redial::RedialPolicy;

/// A validated campaign file. Paths are resolved against the file's folder.
#[derive(Clone, Debug, PartialEq)]
pub struct Campaign {
    /// The campaign id (`name`).
    pub name: String,
    /// The trunk its calls use (checked against the engine configuration by the server).
    pub trunk: String,
    /// Fair share of the trunk against other campaigns (at least 1).
    pub weight: u32,
    /// When calls may start (holidays included once [`Campaign::with_holidays`] attached them).
    pub calendar: Calendar,
    /// The holiday calendar file the campaign names, to be read and attached by the caller.
    pub holidays_file: Option<PathBuf>,
    /// Record calls.
    pub recording: bool,
    /// Cancel an unanswered call after this long (ms).
    pub ring_timeout_ms: i64,
    /// Idle time of a slot between two calls (ms).
    pub slot_interval_ms: i64,
    /// Concurrent calls and calls per second of the campaign.
    pub limits: Limits,
    /// Blacklist groups checked before every call.
    pub blacklist_groups: Vec<String>,
    /// Default prompt variables (number-list columns override them).
    pub variables: BTreeMap<String, String>,
    /// Which dialogue runs at what time of day.
    pub dialogue: DialoguePlan,
    /// Number lists to import when the campaign is loaded.
    pub numbers: Vec<NumberSource>,
    /// The caller-ID pool; `regions` is left empty for the server to fill from
    /// [`Campaign::caller_id_regions`].
    pub caller_id: CallerIdConfig,
    /// The number-prefix table for same-region caller IDs.
    pub caller_id_regions: Option<PathBuf>,
    /// Redial rules per result.
    pub redial: RedialPolicy,
    /// When the campaign pauses by itself.
    pub stop: StopConditions,
    /// Actions after calls, in file order.
    pub follow_up: Vec<FollowUp>,
    /// Where every finished call is posted.
    pub webhook: Option<Webhook>,
    /// Background sound under the bot's voice.
    pub background: Option<Background>,
    /// Plugins run after each call.
    pub post_call: PostCall,
    /// Language, hot words and voice of the calls.
    pub speech: Speech,
    /// The campaign file as written (kept by the store).
    pub source_text: String,
}

impl Campaign {
    /// The campaign with its holiday calendar attached to [`Campaign::calendar`].
    pub fn with_holidays(mut self, holidays: Holidays) -> Self {
        self.calendar = self.calendar.with_holidays(holidays);
        self
    }
}

/// Speech settings of a campaign's calls; unset ones take the engine's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Speech {
    /// Language for recognition and synthesis ("en", "zh").
    pub language: Option<String>,
    /// Words the recogniser should favour.
    pub hot_words: Vec<String>,
    /// The synthesiser's voice.
    pub voice: Option<String>,
}

/// A dialogue: the plugin, the flow it interprets and the prompt played when it fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogueChoice {
    /// The dialogue plugin component (`.wasm`).
    pub plugin: PathBuf,
    /// The flow file for the stock flow plugin.
    pub flow: Option<PathBuf>,
    /// Played before hanging up when the plugin fails.
    pub fallback_prompt: Option<PathBuf>,
}

/// The default dialogue and others by local time of day.
#[derive(Clone, Debug, PartialEq)]
pub struct DialoguePlan {
    zone: TimeZone,
    /// Used outside every scheduled range.
    pub default: DialogueChoice,
    /// Dialogues for ranges of the day (local time, not overlapping), in file order.
    pub scheduled: Vec<(TimeRange, DialogueChoice)>,
}

impl DialoguePlan {
    /// A plan whose ranges are local times in `zone`.
    pub fn new(
        zone: TimeZone,
        default: DialogueChoice,
        scheduled: Vec<(TimeRange, DialogueChoice)>,
    ) -> Self {
        Self {
            zone,
            default,
            scheduled,
        }
    }

    /// The dialogue for a call starting at `at`.
    pub fn at(&self, at: UnixMs) -> &DialogueChoice {
        let minute = local_minute(&self.zone, at);
        self.scheduled
            .iter()
            .find(|(range, _)| range.contains_minute(minute))
            .map_or(&self.default, |(_, choice)| choice)
    }
}

/// How numbers written without a country code are read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Country {
    /// China (+86): mobiles, landlines with their leading 0.
    #[default]
    China,
    /// Another country, by calling code (`+1` is 1).
    Other(u16),
}

/// A number list to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberSource {
    /// The `.csv` or `.xlsx` file.
    pub file: PathBuf,
    /// Header of the phone column (default: the importer's guess).
    pub phone_column: Option<String>,
    /// Sheet of an `.xlsx` file (default: the first).
    pub sheet: Option<String>,
    /// Dial in random order.
    pub shuffle: bool,
    /// How numbers without a country code are read.
    pub country: Country,
}

/// When the campaign pauses by itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StopConditions {
    /// Pause after this many leads in one local day.
    pub max_leads_per_day: Option<u32>,
    /// Intent levels that count as leads.
    pub lead_levels: Vec<String>,
    /// Pause when, over the last `.0` attempts, fewer than `.1` (a share, 0 to 1) were answered.
    pub min_connect_rate: Option<(u32, f64)>,
}

/// What a follow-up does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUpAction {
    /// POST the call record to this URL.
    Webhook(String),
    /// Add the number to this blacklist group.
    Blacklist(String),
}

/// An action after calls with one of `levels` or one of `tags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUp {
    /// Intent levels (A-F) that trigger it.
    pub levels: Vec<String>,
    /// Tags that trigger it.
    pub tags: Vec<String>,
    /// What it does.
    pub action: FollowUpAction,
}

impl FollowUp {
    /// Does a call that ended with `level` and `tags` trigger it (any level or tag matching)?
    pub fn matches(&self, level: Option<&str>, tags: &[String]) -> bool {
        level.is_some_and(|l| self.levels.iter().any(|x| x == l))
            || tags.iter().any(|t| self.tags.contains(t))
    }
}

/// The finished-calls webhook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    /// Where to POST.
    pub url: String,
    /// The environment variable with the HMAC-SHA256 key; unsigned when `None`.
    pub secret_env: Option<String>,
}

/// A looped background sound.
#[derive(Clone, Debug, PartialEq)]
pub struct Background {
    /// The sound file.
    pub file: PathBuf,
    /// Its level in dB (negative is quieter).
    pub gain_db: f64,
}

/// Plugins run after each call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostCall {
    /// The analysis plugin.
    pub analysis: Option<PathBuf>,
    /// The CRM-sync plugin.
    pub crm: Option<PathBuf>,
}
