//! From a finished call's record to the campaign result of its attempt.

use voxgate_call::{CallRecord, Outcome};
use voxgate_campaign::result::CallResult;
use voxgate_campaign::result_map::ResultMap;

/// The result of an attempt and why (the evidence kept in the record).
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The result.
    pub result: CallResult,
    /// The Q.850 cause, when the carrier gave one.
    pub cause: Option<u16>,
    /// What decided it: "SIP 486", "SIP 480 + Q.850 cause 20", "ring time-out", ...
    pub evidence: String,
}

/// Classify a finished call through the trunk's result map. Early-media evidence (a SIT tone
/// or a carrier announcement heard before the final response) beats the SIP code: carriers in
/// China often answer an empty number with 183 + an announcement and then a generic 4xx/5xx.
pub fn classify(record: &CallRecord, map: &ResultMap) -> Classified {
    if record.outcome != Some(Outcome::Answered)
        && let Some(early) = &record.early_media
        && let Ok(result) = early.result.parse()
    {
        return Classified {
            result,
            cause: None,
            evidence: early.evidence.clone(),
        };
    }
    match record.outcome {
        Some(Outcome::Answered) => Classified {
            result: CallResult::Answered,
            cause: None,
            evidence: "SIP 200".into(),
        },
        Some(Outcome::Cancelled) => Classified {
            result: CallResult::Cancelled,
            cause: None,
            evidence: "cancelled by the engine".into(),
        },
        Some(Outcome::NoAnswer) if record.hangup_by == Some(voxgate_call::HangupBy::Bot) => {
            Classified {
                result: CallResult::NoAnswer,
                cause: None,
                evidence: "ring time-out".into(),
            }
        }
        _ => match record.sip_code {
            Some(code) => {
                let c = map.classify(code, record.reason_header.as_deref());
                Classified {
                    result: c.result,
                    cause: c.cause,
                    evidence: c.evidence,
                }
            }
            None => Classified {
                result: CallResult::EngineError,
                cause: None,
                evidence: "the call ended without a final response".into(),
            },
        },
    }
}
