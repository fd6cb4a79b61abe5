//! What the API answers with: the JSON bodies, with the JSON Schemas the OpenAPI document
//! publishes for them. Store rows are mapped into these so the published shape is one the API
//! controls (e.g. a recording is a URL here, never a path on the engine's disk).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use voxgate_store::{RecordRow, RoundRow};

/// `GET /healthz`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Every error answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}

/// A campaign's progress through its numbers.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct Progress {
    /// Numbers in the campaign.
    pub total: u64,
    /// Numbers with no work left.
    pub done: u64,
    /// Numbers waiting for an attempt (now or later).
    pub pending: u64,
    /// Numbers being called now.
    pub in_flight: u64,
    /// Attempts made (finished or in flight).
    pub attempts: u64,
}

impl From<voxgate_store::Progress> for Progress {
    fn from(p: voxgate_store::Progress) -> Self {
        Self {
            total: p.total,
            done: p.done,
            pending: p.pending,
            in_flight: p.in_flight,
            attempts: p.attempts,
        }
    }
}

/// A campaign with its status and progress.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CampaignSummary {
    /// Campaign id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// loaded, running, paused, stopped or finished.
    pub status: String,
    /// Why it has that status, when the engine set it (a stop condition).
    pub reason: Option<String>,
    /// The trunk it dials through (from its file).
    pub trunk: Option<String>,
    /// First loaded (Unix ms).
    pub created_at: i64,
    /// Last changed, file or status (Unix ms).
    pub updated_at: i64,
    /// Progress through the numbers.
    pub progress: Progress,
}

/// One call attempt and its outcome.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Record {
    /// Attempt id.
    pub attempt: u64,
    /// Campaign id.
    pub campaign: String,
    /// The number dialled.
    pub phone: String,
    /// SIP Call-ID.
    pub call_id: Option<String>,
    /// Caller ID presented.
    pub caller_id: Option<String>,
    /// Trunk (none for a number skipped without a dial).
    pub trunk: Option<String>,
    /// When the attempt began (Unix ms).
    pub created_at: i64,
    /// When the INVITE was sent (Unix ms).
    pub dial_at: Option<i64>,
    /// When it started ringing (Unix ms).
    pub ring_at: Option<i64>,
    /// When it was answered (Unix ms).
    pub answer_at: Option<i64>,
    /// When it ended (Unix ms).
    pub hangup_at: Option<i64>,
    /// From INVITE to answer or failure.
    pub ring_ms: Option<u64>,
    /// From answer to hang-up.
    pub talk_ms: Option<u64>,
    /// The call result (answered, busy, no_answer, ...); none while the call is in progress.
    pub result: Option<String>,
    /// Final SIP status code.
    pub sip_code: Option<u16>,
    /// Final reason phrase.
    pub sip_reason: Option<String>,
    /// Q.850 cause.
    pub cause: Option<u16>,
    /// What the result was classified from (SIP code and cause, a SIT tone, words heard).
    pub evidence: Option<String>,
    /// Who hung up.
    pub hangup_by: Option<String>,
    /// Rounds of dialogue.
    pub rounds_count: u32,
    /// Dialogue score.
    pub score: Option<i64>,
    /// Intent level (A-F).
    pub level: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Variables at the end of the call.
    pub variables: BTreeMap<String, String>,
    /// Where to download the recording, when there is one.
    pub recording_url: Option<String>,
    /// RTP/RTCP statistics.
    pub rtcp: Option<serde_json::Value>,
    /// Plugin faults.
    pub faults: Option<serde_json::Value>,
    /// Post-call analysis output.
    pub analysis: Option<serde_json::Value>,
    /// CRM push outcome.
    pub crm: Option<serde_json::Value>,
    /// The attempt has ended.
    pub finished: bool,
}

impl From<RecordRow> for Record {
    fn from(r: RecordRow) -> Self {
        Self {
            recording_url: r
                .recording
                .as_ref()
                .map(|_| format!("/records/{}/recording", r.attempt)),
            attempt: r.attempt,
            campaign: r.campaign,
            phone: r.phone,
            call_id: r.call_id,
            caller_id: r.caller_id,
            trunk: r.trunk,
            created_at: r.created_at,
            dial_at: r.dial_at,
            ring_at: r.ring_at,
            answer_at: r.answer_at,
            hangup_at: r.hangup_at,
            ring_ms: r.ring_ms,
            talk_ms: r.talk_ms,
            result: r.result,
            sip_code: r.sip_code,
            sip_reason: r.sip_reason,
            cause: r.cause,
            evidence: r.evidence,
            hangup_by: r.hangup_by,
            rounds_count: r.rounds_count,
            score: r.score,
            level: r.level,
            tags: r.tags,
            variables: r.variables,
            rtcp: r.rtcp,
            faults: r.faults,
            analysis: r.analysis,
            crm: r.crm,
            finished: r.finished,
        }
    }
}

/// One round of dialogue: the callee's turn and the bot's answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Round {
    /// 1-based index.
    pub idx: u32,
    /// When the callee's turn ended, ms after the call began.
    pub at_ms: u64,
    /// utterance, digits or no_input.
    pub input_kind: String,
    /// What the callee said.
    pub text: Option<String>,
    /// Digits the callee entered.
    pub digits: Option<String>,
    /// Length of the speech.
    pub duration_ms: Option<u32>,
    /// The callee interrupted a prompt.
    pub barged_in: bool,
    /// The dialogue node that answered.
    pub node: Option<String>,
    /// The intent or branch matched.
    pub intent: Option<String>,
    /// Keywords that matched.
    pub keywords: Vec<String>,
    /// What the bot played in answer (prompt ids or TTS text).
    pub reply: Vec<String>,
    /// When the answer started, ms after the call began.
    pub reply_ms: Option<u64>,
}

impl From<RoundRow> for Round {
    fn from(r: RoundRow) -> Self {
        Self {
            idx: r.idx,
            at_ms: r.at_ms,
            input_kind: r.input_kind,
            text: r.text,
            digits: r.digits,
            duration_ms: r.duration_ms,
            barged_in: r.barged_in,
            node: r.node,
            intent: r.intent,
            keywords: r.keywords,
            reply: r.reply,
            reply_ms: r.reply_ms,
        }
    }
}

/// `GET /records`: a page of records, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordsPage {
    /// Records matching the filters (all pages).
    pub total: u64,
    /// The records.
    pub records: Vec<Record>,
    /// Page size asked.
    pub limit: u32,
    /// Records skipped.
    pub offset: u64,
}

/// `GET /records/{id}`: a record with its rounds and the engine's full call record.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordDetail {
    /// The record.
    pub record: Record,
    /// The rounds of dialogue, in order.
    pub rounds: Vec<Round>,
    /// The engine's complete call record (timings, media statistics, dialogue trace).
    pub call: Option<serde_json::Value>,
}

/// Calls and answers in one bucket (an hour of the day, a region).
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct Bucket {
    /// Calls placed.
    pub calls: u64,
    /// Calls answered.
    pub answered: u64,
    /// `answered / calls` (0 without calls).
    pub connect_rate: f64,
}

impl From<voxgate_store::BucketStats> for Bucket {
    fn from(b: voxgate_store::BucketStats) -> Self {
        Self {
            calls: b.calls,
            answered: b.answered,
            connect_rate: b.connect_rate,
        }
    }
}

/// A campaign's statistics over its finished attempts. Calls are attempts that placed a call
/// (all but numbers skipped as blacklisted); rates are over calls.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CampaignStats {
    /// Campaign id.
    pub campaign: String,
    /// Finished attempts.
    pub attempts: u64,
    /// Finished attempts that placed a call.
    pub calls: u64,
    /// Attempts in flight.
    pub in_flight: u64,
    /// Numbers in the campaign.
    pub numbers_total: u64,
    /// Numbers with no work left.
    pub numbers_done: u64,
    /// Numbers waiting for an attempt.
    pub numbers_pending: u64,
    /// Calls answered.
    pub answered: u64,
    /// `answered / calls`.
    pub connect_rate: f64,
    /// Answered calls with less than 5 s of talk time.
    pub short_hangups_5s: u64,
    /// `short_hangups_5s / answered`.
    pub short_hangup_rate: f64,
    /// Mean talk time of answered calls, ms.
    pub avg_talk_ms: f64,
    /// Total talk time, ms.
    pub total_talk_ms: u64,
    /// Attempts with intent level A.
    pub leads: u64,
    /// `leads / answered`: the level A share of answered calls.
    pub lead_rate: f64,
    /// Finished attempts by result.
    pub by_result: BTreeMap<String, u64>,
    /// Finished attempts by intent level.
    pub by_level: BTreeMap<String, u64>,
    /// Calls by local hour of the day (24 entries, index = hour), by when the attempt began.
    pub by_hour: Vec<Bucket>,
    /// The UTC offset (minutes) of the hours in `by_hour`: the campaign's time zone now, or
    /// the `tz` asked for.
    pub utc_offset_minutes: i32,
    /// Calls by the number's region (`unknown` when it has none).
    pub by_region: BTreeMap<String, Bucket>,
}

/// The level that counts as a lead in `lead_rate`.
const LEAD_LEVEL: &str = "A";

impl CampaignStats {
    /// The store's statistics, with the lead figures added.
    pub fn new(s: voxgate_store::CampaignStats, utc_offset_minutes: i32) -> Self {
        let leads = s.by_level.get(LEAD_LEVEL).copied().unwrap_or(0);
        Self {
            campaign: s.campaign,
            attempts: s.attempts,
            calls: s.calls,
            in_flight: s.in_flight,
            numbers_total: s.numbers_total,
            numbers_done: s.numbers_done,
            numbers_pending: s.numbers_pending,
            answered: s.answered,
            connect_rate: s.connect_rate,
            short_hangups_5s: s.short_hangups_5s,
            short_hangup_rate: s.short_hangup_rate,
            avg_talk_ms: s.avg_talk_ms,
            total_talk_ms: s.total_talk_ms,
            leads,
            lead_rate: if s.answered == 0 {
                0.0
            } else {
                leads as f64 / s.answered as f64
            },
            by_result: s.by_result,
            by_level: s.by_level,
            by_hour: s.by_hour.into_iter().map(Bucket::from).collect(),
            utc_offset_minutes,
            by_region: s
                .by_region
                .into_iter()
                .map(|(k, v)| (k, Bucket::from(v)))
                .collect(),
        }
    }
}

/// How a campaign differs from the baseline (this minus baseline).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Difference {
    /// The campaign.
    pub campaign: String,
    /// The baseline campaign (the first one asked).
    pub baseline: String,
    /// Difference in connect rate (fraction: 0.05 = 5 points).
    pub connect_rate: f64,
    /// Difference in lead rate (fraction).
    pub lead_rate: f64,
    /// Difference in average talk time, ms.
    pub avg_talk_ms: f64,
    /// Difference in the 5-second hang-up rate (fraction).
    pub short_hangup_rate: f64,
}

impl Difference {
    /// `campaign` minus `baseline`.
    pub fn between(baseline: &CampaignStats, campaign: &CampaignStats) -> Self {
        Self {
            campaign: campaign.campaign.clone(),
            baseline: baseline.campaign.clone(),
            connect_rate: campaign.connect_rate - baseline.connect_rate,
            lead_rate: campaign.lead_rate - baseline.lead_rate,
            avg_talk_ms: campaign.avg_talk_ms - baseline.avg_talk_ms,
            short_hangup_rate: campaign.short_hangup_rate - baseline.short_hangup_rate,
        }
    }
}

/// `GET /stats/compare`: campaigns side by side.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Comparison {
    /// Each campaign's statistics, in the order asked.
    pub campaigns: Vec<CampaignStats>,
    /// Each campaign after the first against the first.
    pub differences: Vec<Difference>,
}

/// A blacklist entry.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct BlacklistEntry {
    /// The number (E.164).
    pub number: String,
    /// When it stops applying (Unix ms); none: never.
    pub expires_at: Option<i64>,
    /// When it was added (Unix ms).
    pub added_at: i64,
    /// A note.
    pub note: Option<String>,
}

impl From<voxgate_store::BlacklistEntry> for BlacklistEntry {
    fn from(e: voxgate_store::BlacklistEntry) -> Self {
        Self {
            number: e.e164,
            expires_at: e.expires_at,
            added_at: e.added_at,
            note: e.note,
        }
    }
}

/// `POST` / `DELETE /blacklist/{group}` body.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct BlacklistRequest {
    /// Numbers in any usual form (`138 0013 8000`, `+8613800138000`).
    pub numbers: Vec<String>,
    /// When the added entries stop applying (Unix ms); default never.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// What a blacklist change did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlacklistChange {
    /// The group.
    pub group: String,
    /// Entries added (or removed).
    pub changed: usize,
}

/// What a blacklist import did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BlacklistImportReport {
    /// The group.
    pub group: String,
    /// Rows read (excluding the header and empty rows).
    pub rows: usize,
    /// Entries added or renewed.
    pub added: usize,
    /// Rows whose number appeared earlier in the file.
    pub duplicates_in_file: usize,
    /// Rows rejected, with the row number (header = row 1) and the reason.
    pub rejected: Vec<crate::campaigns::RejectedRow>,
}
