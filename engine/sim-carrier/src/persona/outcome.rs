//! Call outcomes and their carrier-like defaults, chosen so that the engine's default result map
//! (`voxgate_campaign::result_map::ResultMap::default`) classifies each as the campaign result
//! of the same name.

use std::time::Duration;

use super::EarlyMedia;

/// How a simulated call ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 200 OK, then the persona's turns.
    Answer,
    /// The line is busy.
    Busy,
    /// It rings until the caller gives up (or `ring_ms`, then the carrier's own time-out).
    NoAnswer,
    /// The callee declines.
    Reject,
    /// The number does not exist.
    EmptyNumber,
    /// The phone is switched off.
    PoweredOff,
    /// The carrier suspended the number.
    Suspended,
    /// The network cannot reach the callee.
    Unreachable,
}

/// What an outcome does unless the persona says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeDefaults {
    /// Final response code (for `no_answer`: the one sent when `ring_ms` runs out).
    pub code: u16,
    /// `Reason` header value.
    pub reason: Option<&'static str>,
    /// Early media before the final response.
    pub early_media: Option<EarlyMedia>,
    /// Ringing before the outcome; `None`: until the caller cancels.
    pub ring: Option<Duration>,
}

/// The announcement a `suspended` persona plays by default. The engine's default result map has
/// no SIP code or Q.850 cause for a suspended number, so carriers (and this simulator) say it in
/// early media; the engine classifies it when it has a recognizer.
pub const SUSPENDED_ANNOUNCEMENT: &str = "the number you have dialled has been suspended";

impl Outcome {
    /// Every outcome, in file-documentation order.
    pub const ALL: [Outcome; 8] = [
        Outcome::Answer,
        Outcome::Busy,
        Outcome::NoAnswer,
        Outcome::Reject,
        Outcome::EmptyNumber,
        Outcome::PoweredOff,
        Outcome::Suspended,
        Outcome::Unreachable,
    ];

    /// The name written in persona files and the journal (`empty_number`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answer => "answer",
            Outcome::Busy => "busy",
            Outcome::NoAnswer => "no_answer",
            Outcome::Reject => "reject",
            Outcome::EmptyNumber => "empty_number",
            Outcome::PoweredOff => "powered_off",
            Outcome::Suspended => "suspended",
            Outcome::Unreachable => "unreachable",
        }
    }

    /// The outcome called `name`.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// The campaign result name the engine should record for this outcome (`reject` is
    /// `rejected`, `answer` is `answered`, the others keep their name).
    pub fn campaign_result(self) -> &'static str {
        match self {
            Outcome::Answer => "answered",
            Outcome::Reject => "rejected",
            other => other.as_str(),
        }
    }

    /// The carrier-like defaults:
    ///
    /// | outcome | code | Reason | early media | ring |
    /// | --- | --- | --- | --- | --- |
    /// | answer | 200 | | | 1 s |
    /// | busy | 486 | Q.850;cause=17 | | 0 |
    /// | no_answer | 480 after `ring_ms`, else 487 on CANCEL | Q.850;cause=19 | | until CANCEL |
    /// | reject | 603 | Q.850;cause=21 | | 0 |
    /// | empty_number | 404 | Q.850;cause=1 | SIT (vacant code) | 0 |
    /// | powered_off | 480 | Q.850;cause=20 | | 0 |
    /// | suspended | 480 | | announcement | 0 |
    /// | unreachable | 408 | | | 0 |
    pub fn defaults(self) -> OutcomeDefaults {
        let plain = |code, reason| OutcomeDefaults {
            code,
            reason,
            early_media: None,
            ring: Some(Duration::ZERO),
        };
        match self {
            Outcome::Answer => OutcomeDefaults {
                ring: Some(Duration::from_secs(1)),
                ..plain(200, None)
            },
            Outcome::Busy => plain(486, Some("Q.850;cause=17")),
            Outcome::NoAnswer => OutcomeDefaults {
                ring: None,
                ..plain(480, Some("Q.850;cause=19"))
            },
            Outcome::Reject => plain(603, Some("Q.850;cause=21")),
            Outcome::EmptyNumber => OutcomeDefaults {
                early_media: Some(EarlyMedia::Sit),
                ..plain(404, Some("Q.850;cause=1"))
            },
            Outcome::PoweredOff => plain(480, Some("Q.850;cause=20")),
            Outcome::Suspended => OutcomeDefaults {
                early_media: Some(EarlyMedia::Announcement(SUSPENDED_ANNOUNCEMENT.to_owned())),
                ..plain(480, None)
            },
            Outcome::Unreachable => plain(408, None),
        }
    }
}
