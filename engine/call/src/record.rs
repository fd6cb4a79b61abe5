//! The call record: what happened on one call, written once when the call ends.

use std::time::Instant;

use serde::Serialize;
use voxgate_audio::timeline::TimelineEntry;

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
