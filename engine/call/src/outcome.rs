//! How an attempt ended, and who ended it.

use serde::Serialize;

/// The result of one call attempt. Every attempt ends in exactly one outcome.
///
/// This is the signalling-level classification; early-media classification (SIT tones,
/// carrier announcements) refines it in the campaign layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The call was answered (2xx).
    Answered,
    /// The callee was busy (486, 600).
    Busy,
    /// It rang until the ring time-out, or the callee did not pick up (480, 487 after our CANCEL).
    NoAnswer,
    /// The callee or carrier declined it (603, 403).
    Rejected,
    /// The number does not exist (404, 604, 484).
    EmptyNumber,
    /// No response at all from the peer (408, Timer B).
    Unreachable,
    /// The carrier or line failed (5xx other than those above, 488 with no common codec, other 4xx).
    LineFault,
    /// The caller gave up before we answered (inbound CANCEL), or we were shut down first.
    Cancelled,
}

impl Outcome {
    /// Classify a final SIP status code of a failed attempt.
    pub fn from_failure_code(code: u16) -> Self {
        match code {
            486 | 600 => Self::Busy,
            480 | 487 => Self::NoAnswer,
            403 | 603 => Self::Rejected,
            404 | 484 | 604 => Self::EmptyNumber,
            408 => Self::Unreachable,
            _ => Self::LineFault,
        }
    }
}

/// Which side ended the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HangupBy {
    /// The remote party (callee on outbound, caller on inbound) hung up or refused.
    Remote,
    /// voxgate hung up: the script ended, a time-out passed, or the engine shut down.
    Bot,
    /// Nobody: the network failed (no response, no ACK).
    Network,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_codes_classify() {
        assert_eq!(Outcome::from_failure_code(486), Outcome::Busy);
        assert_eq!(Outcome::from_failure_code(480), Outcome::NoAnswer);
        assert_eq!(Outcome::from_failure_code(404), Outcome::EmptyNumber);
        assert_eq!(Outcome::from_failure_code(603), Outcome::Rejected);
        assert_eq!(Outcome::from_failure_code(408), Outcome::Unreachable);
        assert_eq!(Outcome::from_failure_code(503), Outcome::LineFault);
    }
}
