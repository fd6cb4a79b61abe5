//! The JSON document pushed for a finished call.

use serde_json::{Map, Value, json};
use voxgate_plugin_sdk::types::{CallSummary, Direction, HangupParty, Pair};

fn pairs_object(pairs: &[Pair]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|pair| (pair.name.clone(), Value::String(pair.value.clone())))
            .collect::<Map<_, _>>(),
    )
}

/// The pushed record: the summary's fields, plus the host's full record under `record`
/// (parsed when it is JSON, else as a string).
pub fn record_json(summary: &CallSummary) -> Value {
    let call = &summary.call;
    let record = serde_json::from_str::<Value>(&summary.record_json)
        .unwrap_or_else(|_| Value::String(summary.record_json.clone()));
    json!({
        "call_id": call.call_id,
        "direction": match call.direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        },
        "campaign": call.campaign,
        "route": call.route,
        "trunk": call.trunk,
        "callee": call.callee,
        "caller": call.caller,
        "outcome": summary.outcome,
        "sip_code": summary.sip_code,
        "hangup_by": match summary.hangup_by {
            HangupParty::Remote => "remote",
            HangupParty::Bot => "bot",
            HangupParty::Network => "network",
            HangupParty::Engine => "engine",
        },
        "started_unix_ms": summary.started_unix_ms,
        "answered_unix_ms": summary.answered_unix_ms,
        "ended_unix_ms": summary.ended_unix_ms,
        "ring_ms": summary.ring_ms,
        "talk_ms": summary.talk_ms,
        "rounds": summary.rounds,
        "score": summary.score,
        "level": summary.level,
        "tags": summary.tags,
        "variables": pairs_object(&summary.variables),
        "digits": summary.digits,
        "recording": summary.recording,
        "record": record,
    })
}
