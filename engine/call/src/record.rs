//! The call record: what happened on one call, written once when the call ends.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;
use voxgate_audio::timeline::TimelineEntry;

use crate::dialogue::{RoundNote, TransferTarget};
use crate::digits::DigitsDone;
use crate::outcome::{HangupBy, Outcome};

/// Maps virtual or monotonic time to wall-clock time for records.
///
/// The server anchors it with one reading of the real clock when a call starts; tests anchor it
/// wherever they like. Nothing in this crate reads a clock.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    /// A monotonic instant...
    pub instant: Instant,
    /// ...and the Unix time in milliseconds at that instant.
    pub unix_ms: u64,
}

impl WallClock {
    /// Unix milliseconds at `at` (earlier instants clamp to the anchor).
    pub fn unix_ms_at(&self, at: Instant) -> u64 {
        self.unix_ms + at.saturating_duration_since(self.instant).as_millis() as u64
    }
}

/// Which way the call went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A call into voxgate, answered per inbound route.
    Inbound,
    /// A call placed by voxgate.
    Outbound,
}

/// How a DTMF digit arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DtmfSource {
    /// RFC 4733 telephone-event RTP packets.
    Rfc4733,
    /// A SIP INFO request (application/dtmf-relay).
    SipInfo,
}

/// One DTMF digit as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DtmfEntry {
    /// The digit: 0-9, `*`, `#`, A-D.
    pub digit: char,
    /// Milliseconds after the call was created.
    pub at_ms: u64,
    /// How it arrived.
    pub source: DtmfSource,
    /// Reported duration, when the sender gave one.
    pub duration_ms: Option<u32>,
}

/// RTP and RTCP statistics of the call's media, filled in by the server from the RTP session.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MediaSummary {
    /// Negotiated audio codec name, e.g. `PCMU`.
    pub codec: String,
    /// Where the remote media really came from (after symmetric-RTP latching).
    pub remote_rtp: Option<String>,
    /// RTP packets sent.
    pub packets_sent: u64,
    /// RTP packets received.
    pub packets_received: u64,
    /// Packets lost (cumulative, RFC 3550).
    pub packets_lost: i64,
    /// Interarrival jitter in milliseconds.
    pub jitter_ms: f64,
    /// Round-trip time from RTCP, when the peer sent reports.
    pub rtt_ms: Option<f64>,
    /// Loss the remote reported about our stream, as a fraction.
    pub remote_fraction_lost: Option<f64>,
    /// Frames concealed by the jitter buffer.
    pub concealed_frames: u64,
}

/// Everything recorded about one call attempt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallRecord {
    /// The SIP Call-ID.
    pub call_id: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The trunk the call came in on or went out through.
    pub trunk: Option<String>,
    /// The inbound route that handled it.
    pub route: Option<String>,
    /// Caller (From URI).
    pub from: String,
    /// Called number or URI.
    pub to: String,
    /// Signalling address of the remote side.
    pub remote_address: Option<String>,
    /// When the INVITE was sent or received (Unix ms).
    pub invite_unix_ms: u64,
    /// When it started ringing (first 18x; Unix ms).
    pub ring_unix_ms: Option<u64>,
    /// When it was answered (Unix ms).
    pub answer_unix_ms: Option<u64>,
    /// When it ended (Unix ms).
    pub hangup_unix_ms: Option<u64>,
    /// From INVITE to answer or failure, in ms.
    pub ring_ms: Option<u64>,
    /// From answer to hang-up, in ms.
    pub talk_ms: Option<u64>,
    /// How the attempt ended.
    pub outcome: Option<Outcome>,
    /// Final SIP status code (200 when answered).
    pub sip_code: Option<u16>,
    /// Reason phrase of the final response, or why we ended it.
    pub sip_reason: Option<String>,
    /// Raw `Reason` header of the final response (Q.850 cause), if any.
    pub reason_header: Option<String>,
    /// Who ended the call.
    pub hangup_by: Option<HangupBy>,
    /// Digits collected by the script (terminator excluded).
    pub digits: String,
    /// Why digit collection ended, if the script collected digits.
    pub digits_done: Option<DigitsDone>,
    /// Every DTMF digit received, in order.
    pub dtmf: Vec<DtmfEntry>,
    /// Prompts played, in order, and whether each was cut short.
    pub prompts: Vec<PromptPlayed>,
    /// Path of the stereo recording (callee left, bot right), if recorded.
    pub recording: Option<String>,
    /// RTP/RTCP statistics, if media flowed.
    pub media: Option<MediaSummary>,
    /// The voice timeline: the callee's utterances (barge-in or not), prompts played (and
    /// where they were cut), no-input events; times in ms from the start of media.
    pub voice: Vec<TimelineEntry>,
    /// The dialogue plugin that ran the call, if any (its file and version).
    pub dialogue: Option<String>,
    /// Rounds of dialogue: each callee turn and the bot's answer.
    pub rounds: Vec<Round>,
    /// Tags set by the dialogue.
    pub tags: Vec<String>,
    /// Score accumulated by the dialogue.
    pub score: i32,
    /// Intent level (`A`-`F` or a custom label) set by the dialogue.
    pub level: Option<String>,
    /// Variables at the end of the call (number list, CRM, set by the dialogue).
    pub variables: BTreeMap<String, String>,
    /// Transfers the dialogue asked for.
    pub transfers: Vec<TransferAttempt>,
    /// Faults of the dialogue plugin; the first one sent the call to the fallback.
    pub faults: Vec<DialogueFault>,
    /// What early media before the answer said about the attempt (a SIT tone, a carrier
    /// announcement), when something was recognised.
    pub early_media: Option<EarlyMedia>,
}

/// A call result recognised in early media, with its evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EarlyMedia {
    /// The campaign result it means (`empty_number`, `powered_off`, ...).
    pub result: String,
    /// What was heard, e.g. "SIT vacant code: 985 Hz 380 ms, 1371 Hz 276 ms, 1777 Hz 380 ms".
    pub evidence: String,
}

/// One round: a callee turn and how the bot answered it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Round {
    /// 1-based.
    pub index: u32,
    /// When the callee's turn ended, ms after the call was created.
    pub at_ms: u64,
    /// What the callee did.
    pub input: RoundInput,
    /// What the dialogue said about the round (node, intent, keywords).
    #[serde(flatten)]
    pub note: Option<RoundNote>,
    /// What the bot played in answer (file ids or TTS text).
    pub reply: Vec<String>,
    /// When the answer started, ms after the call was created.
    pub reply_ms: Option<u64>,
}

/// The callee's side of a round.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RoundInput {
    /// Speech.
    Utterance {
        /// Recognised text, when a recogniser ran.
        text: Option<String>,
        /// Length of the speech.
        duration_ms: u32,
        /// It interrupted a prompt.
        barged_in: bool,
    },
    /// Digits (collected, or one digit outside a collection).
    Digits {
        /// The digits.
        digits: String,
    },
    /// Silence until the no-input time-out.
    NoInput,
}

/// A transfer the dialogue asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferAttempt {
    /// Where to.
    pub target: TransferTarget,
    /// When it was asked for, ms after the call was created.
    pub at_ms: u64,
    /// The target answered.
    pub connected: Option<bool>,
    /// SIP status or why it failed.
    pub detail: Option<String>,
}

/// A fault of the dialogue plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DialogueFault {
    /// When, ms after the call was created.
    pub at_ms: u64,
    /// Kind (`trap`, `timeout`, `memory_limit`, ...).
    pub kind: String,
    /// What happened.
    pub detail: String,
}

/// A prompt the call played.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PromptPlayed {
    /// The prompt's name (its file path).
    pub prompt: String,
    /// Milliseconds after the call was created when it started.
    pub start_ms: u64,
    /// When it stopped, ms after the call was created.
    pub end_ms: Option<u64>,
    /// True when a digit or the hang-up cut it short.
    pub cut: bool,
}
