//! What callers hand to the store: new numbers, leases, finished and skipped attempts, outbox
//! entries and record queries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::UnixMs;
use crate::rows::RoundRow;

/// A validated, normalised number from an import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewNumber {
    /// E.164 form, e.g. `+8613800138000`; unique within a campaign.
    pub e164: String,
    /// National form as dialled, e.g. `13800138000`.
    pub national: String,
    /// Kind of number, e.g. `mobile` or `landline`.
    pub kind: String,
    /// Region, when known (from the number-prefix table).
    pub region: Option<String>,
    /// The list's other columns, in file order: they become prompt variables.
    pub variables: Vec<(String, String)>,
    /// Row of the number in its file (1-based, as the importer reports it).
    pub import_row: usize,
}

/// A rejected row of an import: row number, raw value and reason.
pub type RejectedRow = (usize, String, String);

/// A number leased for an attempt, written before the INVITE is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseAttempt {
    /// The dialer's attempt id: unique, never reused (see [`crate::Store::next_attempt_id`]).
    pub attempt: u64,
    /// Campaign id.
    pub campaign: String,
    /// The number's id.
    pub number_id: u64,
    /// The number as dialled.
    pub phone: String,
    /// Caller id presented, `None` for the trunk's default.
    pub caller_id: Option<String>,
    /// Trunk the call goes out through.
    pub trunk: String,
    /// When the lease is taken (the attempt's `created_at`).
    pub now: UnixMs,
}

/// A number's attempt state after an attempt, as the dialer's redial policy decided it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberUpdate {
    /// The number's id.
    pub number_id: u64,
    /// Attempts made so far, the one that just ended included.
    pub attempts: u32,
    /// When to try again; `None` = the number is done.
    pub next_at: Option<UnixMs>,
    /// The result of the attempt that just ended.
    pub last_result: String,
}

/// An outbox entry to enqueue (a webhook to deliver).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOutbox {
    /// What it is, e.g. `call.finished` (sent as the event header).
    pub kind: String,
    /// Where to POST it.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Name of the environment variable holding the HMAC secret, if signed.
    pub secret_env: Option<String>,
    /// First delivery time (usually now).
    pub next_at: UnixMs,
}

/// A finished attempt: its record, rounds, the number's new state and the webhooks to send,
/// written in one transaction by [`crate::Store::finish`].
///
/// `Default` gives an empty record to fill with struct-update syntax.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FinishedAttempt {
    /// The leased attempt.
    pub attempt: u64,
    /// SIP Call-ID, if an INVITE was sent.
    pub call_id: Option<String>,
    /// When the INVITE was sent.
    pub dial_at: Option<UnixMs>,
    /// When it started ringing.
    pub ring_at: Option<UnixMs>,
    /// When it was answered.
    pub answer_at: Option<UnixMs>,
    /// When it ended.
    pub hangup_at: Option<UnixMs>,
    /// From INVITE to answer or failure.
    pub ring_ms: Option<u64>,
    /// From answer to hang-up.
    pub talk_ms: Option<u64>,
    /// The call result (`answered`, `busy`, ...).
    pub result: String,
    /// Final SIP status code.
    pub sip_code: Option<u16>,
    /// Reason phrase of the final response, or why the engine ended the call.
    pub sip_reason: Option<String>,
    /// Q.850 cause from the `Reason` header.
    pub cause: Option<u16>,
    /// What the result was classified from ("SIP 480 + Q.850 cause 20", a SIT tone, words).
    pub evidence: Option<String>,
    /// Who hung up (`callee`, `bot`, `engine`...).
    pub hangup_by: Option<String>,
    /// Rounds of dialogue.
    pub rounds_count: u32,
    /// Dialogue score.
    pub score: Option<i64>,
    /// Intent level (`A`-`F` or custom).
    pub level: Option<String>,
    /// Tags set by the dialogue.
    pub tags: Vec<String>,
    /// Variables at the end of the call.
    pub variables: BTreeMap<String, String>,
    /// Path of the recording.
    pub recording: Option<String>,
    /// RTP/RTCP statistics.
    pub rtcp: Option<serde_json::Value>,
    /// Plugin faults.
    pub faults: Option<serde_json::Value>,
    /// Post-call analysis output, if already known.
    pub analysis: Option<serde_json::Value>,
    /// CRM push outcome, if already known.
    pub crm: Option<serde_json::Value>,
    /// The full call record, as the API serves it.
    pub record: Option<serde_json::Value>,
    /// Per-turn rounds; `idx` must be unique within the attempt.
    pub rounds: Vec<RoundRow>,
    /// The number's new state; its lease is cleared.
    pub number_update: NumberUpdate,
    /// Webhooks to enqueue with the record.
    pub outbox: Vec<NewOutbox>,
    /// When the attempt is written as finished.
    pub now: UnixMs,
}

/// A number skipped without a dial (e.g. blacklisted right before dialling): recorded as a
/// finished attempt by [`crate::Store::skip`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedAttempt {
    /// The dialer's attempt id for the skip.
    pub attempt: u64,
    /// Campaign id.
    pub campaign: String,
    /// The number as it would have been dialled.
    pub phone: String,
    /// The result, e.g. `blacklisted`.
    pub result: String,
    /// Why, e.g. "blacklist group vip".
    pub evidence: Option<String>,
    /// The number's new state (names the number).
    pub number_update: NumberUpdate,
    /// When.
    pub now: UnixMs,
}

/// Filters for [`crate::Store::records`]; every set field must match. `Default` matches every
/// finished record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordQuery {
    /// Campaign id.
    pub campaign: Option<String>,
    /// Result, e.g. `answered`.
    pub result: Option<String>,
    /// Intent level.
    pub level: Option<String>,
    /// One tag the record carries.
    pub tag: Option<String>,
    /// Attempts created at or after this time.
    pub from: Option<UnixMs>,
    /// Attempts created before this time.
    pub to: Option<UnixMs>,
    /// Talk time at least this long (records without talk time do not match).
    pub min_talk_ms: Option<u64>,
    /// Talk time at most this long (records without talk time count as 0).
    pub max_talk_ms: Option<u64>,
    /// Also list attempts still in flight (no result yet).
    pub include_in_flight: bool,
    /// Newest first instead of oldest first (by attempt id).
    pub newest_first: bool,
    /// At most this many rows; `None` = all.
    pub limit: Option<usize>,
    /// Skip this many rows first.
    pub offset: usize,
}
