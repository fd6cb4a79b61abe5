//! What the store returns: campaigns, numbers, imports, call records and rounds, and how each
//! is read from its SQL row.

use std::collections::BTreeMap;

use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::UnixMs;
use crate::error::{get_json, get_opt_json, get_opt_u64, get_u64};

/// A stored campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRow {
    /// Campaign id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The campaign file (TOML) as loaded.
    pub source_text: String,
    /// `loaded`, `running`, `paused`, `stopped` or `finished`.
    pub status: String,
    /// Why it has that status (e.g. the stop condition that paused it).
    pub status_reason: Option<String>,
    /// First loaded.
    pub created_at: UnixMs,
    /// Last changed (file or status).
    pub updated_at: UnixMs,
}

impl CampaignRow {
    pub(crate) const COLUMNS: &str =
        "id, name, source_text, status, status_reason, created_at, updated_at";

    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            name: row.get(1)?,
            source_text: row.get(2)?,
            status: row.get(3)?,
            status_reason: row.get(4)?,
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
        })
    }
}

/// A number of a campaign with its attempt state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRow {
    /// Number id (stable; the dialer's number id).
    pub id: u64,
    /// Campaign id.
    pub campaign: String,
    /// E.164 form.
    pub e164: String,
    /// National form as dialled.
    pub national: String,
    /// `mobile`, `landline`, ...
    pub kind: String,
    /// Region, when known.
    pub region: Option<String>,
    /// The list's other columns, in file order.
    pub variables: Vec<(String, String)>,
    /// Row in its import file.
    pub import_row: u64,
    /// Dialling order within the campaign (import order, after any shuffle).
    pub seq: u64,
    /// Attempts made, the leased one included.
    pub attempts: u32,
    /// When it is due next; `None` = done.
    pub next_at: Option<UnixMs>,
    /// The attempt holding it, if one is in flight (or was, when the engine died).
    pub leased_attempt: Option<u64>,
    /// Result of the last finished attempt.
    pub last_result: Option<String>,
}

impl NumberRow {
    pub(crate) const COLUMNS: &str = "id, campaign, e164, national, kind, region, variables, \
         import_row, seq, attempts, next_at, leased_attempt, last_result";

    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: get_u64(row, 0)?,
            campaign: row.get(1)?,
            e164: row.get(2)?,
            national: row.get(3)?,
            kind: row.get(4)?,
            region: row.get(5)?,
            variables: get_json(row, 6)?,
            import_row: get_u64(row, 7)?,
            seq: get_u64(row, 8)?,
            attempts: row.get(9)?,
            next_at: row.get(10)?,
            leased_attempt: get_opt_u64(row, 11)?,
            last_result: row.get(12)?,
        })
    }
}

/// What an import added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    /// The import's id (its log row).
    pub import_id: u64,
    /// Numbers added to the campaign.
    pub accepted: usize,
    /// Numbers the campaign already had (from this or an earlier import): not added again.
    pub duplicates_in_campaign: usize,
    /// Rows the importer rejected.
    pub rejected: usize,
}

/// One import, as logged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    /// Import id.
    pub id: u64,
    /// Campaign id.
    pub campaign: String,
    /// Source name (file name).
    pub source: String,
    /// When.
    pub at: UnixMs,
    /// Numbers added.
    pub accepted: u64,
    /// Numbers the campaign already had.
    pub duplicates: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The first rejected rows: `[{"row", "value", "reason"}]`.
    pub rejected_sample: serde_json::Value,
}

impl ImportRow {
    pub(crate) const COLUMNS: &str =
        "id, campaign, source, at, accepted, duplicates, rejected, rejected_sample";

    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: get_u64(row, 0)?,
            campaign: row.get(1)?,
            source: row.get(2)?,
            at: row.get(3)?,
            accepted: get_u64(row, 4)?,
            duplicates: get_u64(row, 5)?,
            rejected: get_u64(row, 6)?,
            rejected_sample: get_json(row, 7)?,
        })
    }
}

/// A campaign's progress through its numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Numbers in the campaign.
    pub total: u64,
    /// Numbers with no work left.
    pub done: u64,
    /// Numbers waiting for an attempt (now or later).
    pub pending: u64,
    /// Numbers leased by an attempt in flight.
    pub in_flight: u64,
    /// Attempts made (finished or in flight).
    pub attempts: u64,
}

/// One call record (an attempt), as the API serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordRow {
    /// Attempt id.
    pub attempt: u64,
    /// Campaign id.
    pub campaign: String,
    /// Number id.
    pub number_id: u64,
    /// Number as dialled.
    pub phone: String,
    /// SIP Call-ID.
    pub call_id: Option<String>,
    /// Caller id presented.
    pub caller_id: Option<String>,
    /// Trunk (none for a skipped number).
    pub trunk: Option<String>,
    /// When the number was leased (the attempt began).
    pub created_at: UnixMs,
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
    /// The call result; `None` while in flight.
    pub result: Option<String>,
    /// Final SIP status code.
    pub sip_code: Option<u16>,
    /// Final reason phrase.
    pub sip_reason: Option<String>,
    /// Q.850 cause.
    pub cause: Option<u16>,
    /// What the result was classified from.
    pub evidence: Option<String>,
    /// Who hung up.
    pub hangup_by: Option<String>,
    /// Rounds of dialogue.
    pub rounds_count: u32,
    /// Dialogue score.
    pub score: Option<i64>,
    /// Intent level.
    pub level: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Variables at the end of the call.
    pub variables: BTreeMap<String, String>,
    /// Recording path.
    pub recording: Option<String>,
    /// RTP/RTCP statistics.
    pub rtcp: Option<serde_json::Value>,
    /// Plugin faults.
    pub faults: Option<serde_json::Value>,
    /// Post-call analysis output.
    pub analysis: Option<serde_json::Value>,
    /// CRM push outcome.
    pub crm: Option<serde_json::Value>,
    /// The full call record.
    pub record: Option<serde_json::Value>,
    /// The attempt has ended.
    pub finished: bool,
    /// When it was written as finished.
    pub finished_at: Option<UnixMs>,
}

impl RecordRow {
    pub(crate) const COLUMNS: &str = "id, campaign, number_id, phone, call_id, caller_id, trunk, \
         created_at, dial_at, ring_at, answer_at, hangup_at, ring_ms, talk_ms, result, sip_code, \
         sip_reason, cause, evidence, hangup_by, rounds_count, score, level, tags, variables, \
         recording, rtcp, faults, analysis, crm, record, finished, finished_at";

    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            attempt: get_u64(row, 0)?,
            campaign: row.get(1)?,
            number_id: get_u64(row, 2)?,
            phone: row.get(3)?,
            call_id: row.get(4)?,
            caller_id: row.get(5)?,
            trunk: row.get(6)?,
            created_at: row.get(7)?,
            dial_at: row.get(8)?,
            ring_at: row.get(9)?,
            answer_at: row.get(10)?,
            hangup_at: row.get(11)?,
            ring_ms: get_opt_u64(row, 12)?,
            talk_ms: get_opt_u64(row, 13)?,
            result: row.get(14)?,
            sip_code: row.get(15)?,
            sip_reason: row.get(16)?,
            cause: row.get(17)?,
            evidence: row.get(18)?,
            hangup_by: row.get(19)?,
            rounds_count: row.get(20)?,
            score: row.get(21)?,
            level: row.get(22)?,
            tags: get_json(row, 23)?,
            variables: get_json(row, 24)?,
            recording: row.get(25)?,
            rtcp: get_opt_json(row, 26)?,
            faults: get_opt_json(row, 27)?,
            analysis: get_opt_json(row, 28)?,
            crm: get_opt_json(row, 29)?,
            record: get_opt_json(row, 30)?,
            finished: row.get(31)?,
            finished_at: row.get(32)?,
        })
    }
}

/// One round of dialogue: a callee turn and the bot's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRow {
    /// 1-based index within the attempt.
    pub idx: u32,
    /// When the callee's turn ended, ms after the call was created.
    pub at_ms: u64,
    /// `utterance`, `digits` or `no_input`.
    pub input_kind: String,
    /// Recognised text of an utterance.
    pub text: Option<String>,
    /// Digits entered.
    pub digits: Option<String>,
    /// Length of the speech.
    pub duration_ms: Option<u32>,
    /// The speech interrupted a prompt.
    pub barged_in: bool,
    /// The dialogue node that answered.
    pub node: Option<String>,
    /// The intent or branch matched.
    pub intent: Option<String>,
    /// Keywords that matched.
    pub keywords: Vec<String>,
    /// What the bot played in answer (prompt ids or TTS text).
    pub reply: Vec<String>,
    /// When the answer started, ms after the call was created.
    pub reply_ms: Option<u64>,
}

impl RoundRow {
    pub(crate) const COLUMNS: &str = "idx, at_ms, input_kind, text, digits, duration_ms, \
         barged_in, node, intent, keywords, reply, reply_ms";

    pub(crate) fn read(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            idx: row.get(0)?,
            at_ms: get_u64(row, 1)?,
            input_kind: row.get(2)?,
            text: row.get(3)?,
            digits: row.get(4)?,
            duration_ms: row.get(5)?,
            barged_in: row.get(6)?,
            node: row.get(7)?,
            intent: row.get(8)?,
            keywords: get_json(row, 9)?,
            reply: get_json(row, 10)?,
            reply_ms: get_opt_u64(row, 11)?,
        })
    }
}
