//! Ready-made call data for tests.

use voxgate_plugin_host::types::{CallInfo, CallSummary, Direction, HangupParty, Pair};

/// An outbound campaign call to `13812345678` with a `name` variable.
pub fn call_info() -> CallInfo {
    CallInfo {
        call_id: "test-call-1@voxgate".to_owned(),
        direction: Direction::Outbound,
        campaign: Some("test-campaign".to_owned()),
        route: None,
        trunk: Some("test-trunk".to_owned()),
        callee: "13812345678".to_owned(),
        caller: "4000123456".to_owned(),
        variables: vec![Pair {
            name: "name".to_owned(),
            value: "Alex".to_owned(),
        }],
        flow: None,
    }
}

/// The record of [`call_info`]'s call, answered and hung up by the callee after 42 s of talk.
pub fn call_summary() -> CallSummary {
    let started = crate::clock::DEFAULT_START_MS;
    CallSummary {
        call: call_info(),
        outcome: "answered".to_owned(),
        sip_code: Some(200),
        hangup_by: HangupParty::Remote,
        started_unix_ms: started,
        answered_unix_ms: Some(started + 6_000),
        ended_unix_ms: started + 48_000,
        ring_ms: 6_000,
        talk_ms: 42_000,
        rounds: 3,
        score: 10,
        level: Some("B".to_owned()),
        tags: vec!["interested".to_owned()],
        variables: call_info().variables,
        digits: String::new(),
        recording: None,
        record_json: "{}".to_owned(),
    }
}
