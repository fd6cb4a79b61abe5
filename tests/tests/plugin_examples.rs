//! Host-side tests of the stock plugins `crm-webhook`, `call-analysis` and `llm-agent`, run
//! through the testkit on the components in `plugins/dist/` (build them with `plugins/build`).

use serde_json::Value;
use sha2::{Digest, Sha256};
use voxgate_plugin_testkit::analysis::{AnalysisInput, Report};
use voxgate_plugin_testkit::crm::CrmAction;
use voxgate_plugin_testkit::dialogue::{Action, PromptPart};
use voxgate_plugin_testkit::types::{
    CallSummary, HttpReply, HttpRequest, HttpResponse, Pair, TranscriptTurn,
};
use voxgate_plugin_testkit::{Testkit, samples};

fn dist(name: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let wasm = root.join("plugins/dist").join(format!("{name}.wasm"));
    assert!(
        wasm.exists(),
        "{} is missing: run plugins/build",
        wasm.display()
    );
    wasm
}

fn reply(id: &str, status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        id: id.to_owned(),
        outcome: Ok(HttpReply {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }),
    }
}

fn chat_reply(id: &str, content: &str) -> HttpResponse {
    let body = serde_json::json!({
        "choices": [{ "message": { "role": "assistant", "content": content } }]
    });
    reply(id, 200, &body.to_string())
}

fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|pair| pair.name.eq_ignore_ascii_case(name))
        .map(|pair| pair.value.as_str())
}

fn body_json(request: &HttpRequest) -> Value {
    serde_json::from_slice(request.body.as_deref().expect("a body")).expect("a JSON body")
}

/// HMAC-SHA256 (RFC 2104) written out here, so the plugin's signature is checked independently.
fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// crm-webhook

/// The signing key comes from an environment variable; `CARGO_PKG_NAME` is one that cargo sets
/// for every test run, so no test has to modify the environment.
const CRM_MANIFEST: &str = r#"
[plugin]
name = "crm-webhook"
kind = "crm-sync"
[capabilities]
http_allow = ["crm.test"]
full_numbers = true
[secrets]
hmac_key = "CARGO_PKG_NAME"
[config]
lookup_url = "http://crm.test/customers/{number}"
push_url = "http://crm.test/calls"
timeout_ms = 2000
"#;

fn only_request(actions: &[CrmAction]) -> &HttpRequest {
    match actions {
        [CrmAction::HttpRequest(request)] => request,
        other => panic!("expected one http-request, got {other:?}"),
    }
}

#[test]
fn crm_webhook_lookup_maps_json_fields() {
    let mut kit = Testkit::load_with_manifest(dist("crm-webhook"), CRM_MANIFEST).unwrap();
    let mut crm = kit.crm().unwrap();
    let actions = crm.lookup(samples::call_info()).unwrap();
    let request = only_request(&actions);
    assert_eq!(request.method, "GET");
    assert_eq!(request.url, "http://crm.test/customers/13812345678");
    assert_eq!(request.timeout_ms, Some(2000));

    let body = r#"{"name":"Li Wei","balance":300,"vip":true,"orders":[1,2]}"#;
    crm.http_response(reply(&request.id, 200, body)).unwrap();
    let mut fields: Vec<(String, String)> = crm
        .fields()
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    fields.sort();
    let expected = [("balance", "300"), ("name", "Li Wei"), ("vip", "true")];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(fields, expected);
    assert_eq!(crm.done(), Some(true));
}

#[test]
fn crm_webhook_lookup_failure_is_reported() {
    let mut kit = Testkit::load_with_manifest(dist("crm-webhook"), CRM_MANIFEST).unwrap();
    let mut crm = kit.crm().unwrap();
    let actions = crm.lookup(samples::call_info()).unwrap();
    let id = only_request(&actions).id.clone();
    crm.http_response(reply(&id, 503, "busy")).unwrap();
    assert!(crm.fields().is_empty());
    assert_eq!(crm.done(), Some(false));
}

#[test]
fn crm_webhook_push_is_signed_and_retried_on_error() {
    let key = std::env::var("CARGO_PKG_NAME").expect("cargo sets CARGO_PKG_NAME for tests");
    let mut kit = Testkit::load_with_manifest(dist("crm-webhook"), CRM_MANIFEST).unwrap();
    let now = kit.clock().now_ms();
    let mut crm = kit.crm().unwrap();
    let actions = crm.call_finished(samples::call_summary()).unwrap();
    let request = only_request(&actions);
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "http://crm.test/calls");
    let body = request.body.clone().unwrap();
    let expected = format!("sha256={}", hmac_sha256_hex(key.as_bytes(), &body));
    assert_eq!(
        header(request, "X-Voxgate-Signature"),
        Some(expected.as_str())
    );
    assert_eq!(
        header(request, "X-Voxgate-Timestamp"),
        Some(now.to_string().as_str())
    );
    assert_eq!(header(request, "Content-Type"), Some("application/json"));
    let record = body_json(request);
    assert_eq!(record["call_id"], "test-call-1@voxgate");
    assert_eq!(record["talk_ms"], 42_000);
    assert_eq!(record["tags"][0], "interested");
    assert_eq!(record["variables"]["name"], "Alex");

    let id = request.id.clone();
    crm.http_response(reply(&id, 500, "oops")).unwrap();
    assert_eq!(
        crm.done(),
        Some(false),
        "a failed push must be retried by the host"
    );
    let mut crm = kit.crm().unwrap();
    crm.call_finished(samples::call_summary()).unwrap();
    crm.http_response(reply(&id, 204, "")).unwrap();
    assert_eq!(crm.done(), Some(true));
}

// ---------------------------------------------------------------------------------------------
// call-analysis

const ANALYSIS_MANIFEST: &str = r#"
[plugin]
name = "call-analysis"
kind = "analysis"
[config]
min_talk_ms = 5000
"#;

const ANALYSIS_LLM_MANIFEST: &str = r#"
[plugin]
name = "call-analysis"
kind = "analysis"
[capabilities]
http_allow = ["llm.test"]
[config]
llm_url = "http://llm.test/v1/chat/completions"
model = "test-model"
"#;

fn turn(speaker: &str, text: &str, start_ms: u64, end_ms: u64) -> TranscriptTurn {
    TranscriptTurn {
        speaker: speaker.to_owned(),
        text: text.to_owned(),
        start_ms,
        end_ms,
    }
}

fn summary(talk_ms: u64, rounds: u32, score: i32) -> CallSummary {
    CallSummary {
        talk_ms,
        rounds,
        score,
        level: None,
        tags: Vec::new(),
        ..samples::call_summary()
    }
}

fn analyse(manifest: &str, call: CallSummary, transcript: Vec<TranscriptTurn>) -> Report {
    let mut kit = Testkit::load_with_manifest(dist("call-analysis"), manifest).unwrap();
    let mut job = kit.analysis().unwrap();
    job.call_finished(AnalysisInput { call, transcript })
        .unwrap();
    job.report().expect("a report").clone()
}

#[test]
fn call_analysis_marks_short_calls_invalid() {
    let report = analyse(ANALYSIS_MANIFEST, summary(2_000, 0, 0), Vec::new());
    assert!(report.invalid);
    assert!(
        report
            .invalid_reason
            .as_deref()
            .unwrap()
            .contains("under 5000 ms")
    );
    assert_eq!(report.level.as_deref(), Some("F"));
    assert!(report.findings.iter().any(|f| f.rule == "short-call"));
}

#[test]
fn call_analysis_grades_from_score_and_rounds() {
    let talk = vec![
        turn("bot", "Hello", 0, 2_000),
        turn("callee", "tell me more", 2_500, 4_000),
    ];
    let a = analyse(ANALYSIS_MANIFEST, summary(42_000, 3, 12), talk.clone());
    assert_eq!(a.level.as_deref(), Some("A"));
    assert!(!a.invalid);
    assert!(
        a.summary.contains("\"tell me more\""),
        "summary: {}",
        a.summary
    );
    assert!(!a.next_actions.is_empty());
    let c = analyse(ANALYSIS_MANIFEST, summary(20_000, 2, 0), talk.clone());
    assert_eq!(c.level.as_deref(), Some("C"));
    // A level the dialogue already set is kept unless override_level is on.
    let kept = CallSummary {
        level: Some("B".to_owned()),
        ..summary(42_000, 3, 12)
    };
    assert_eq!(analyse(ANALYSIS_MANIFEST, kept, talk).level, None);
}

#[test]
fn call_analysis_finds_quality_problems() {
    let transcript = vec![
        turn("bot", "Long pitch part one", 0, 20_000),
        turn("bot", "Long pitch part two", 20_000, 45_000),
        turn("callee", "你们再打我就投诉", 46_000, 48_000),
    ];
    let report = analyse(ANALYSIS_MANIFEST, summary(48_000, 1, 0), transcript);
    let rules: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.severity.as_str()))
        .collect();
    assert!(
        rules.contains(&("long-bot-monologue", "warning")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("complaint-risk", "violation")),
        "{rules:?}"
    );
    assert!(report.tags.contains(&"violation-risk".to_owned()));
    assert_eq!(report.level.as_deref(), Some("F"));

    let silent = analyse(
        ANALYSIS_MANIFEST,
        summary(30_000, 0, 0),
        vec![turn("bot", "Hi", 0, 3_000)],
    );
    assert!(silent.findings.iter().any(|f| f.rule == "callee-silent"));
}

#[test]
fn call_analysis_asks_the_llm_and_falls_back_to_rules() {
    let input = || AnalysisInput {
        call: summary(42_000, 3, 12),
        transcript: vec![turn("callee", "please call me next week", 1_000, 3_000)],
    };
    let mut kit =
        Testkit::load_with_manifest(dist("call-analysis"), ANALYSIS_LLM_MANIFEST).unwrap();
    let mut job = kit.analysis().unwrap();
    let actions = job.call_finished(input()).unwrap();
    let request = match actions.as_slice() {
        [voxgate_plugin_testkit::analysis::AnalysisAction::HttpRequest(request)] => request.clone(),
        other => panic!("expected one http-request, got {other:?}"),
    };
    assert_eq!(request.url, "http://llm.test/v1/chat/completions");
    let body = body_json(&request);
    assert_eq!(body["model"], "test-model");
    assert!(
        body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("please call me next week")
    );
    assert!(job.report().is_none(), "the report waits for the LLM");

    let answer = "```json\n{\"situation\": \"Busy this week, interested\", \"actions\": [\"Call back on Monday\"]}\n```";
    job.http_response(chat_reply(&request.id, answer)).unwrap();
    let report = job.report().expect("a report");
    assert_eq!(report.customer_situation, "Busy this week, interested");
    assert_eq!(report.next_actions, vec!["Call back on Monday".to_owned()]);
    assert_eq!(report.level.as_deref(), Some("A"));

    let mut job = kit.analysis().unwrap();
    job.call_finished(input()).unwrap();
    job.http_response(HttpResponse {
        id: request.id.clone(),
        outcome: Err("time-out".to_owned()),
    })
    .unwrap();
    let report = job.report().expect("a rule-based report");
    assert!(!report.customer_situation.is_empty());
    assert_eq!(report.level.as_deref(), Some("A"));
}

// ---------------------------------------------------------------------------------------------
// llm-agent

const AGENT_MANIFEST: &str = r#"
[plugin]
name = "llm-agent"
kind = "dialogue"
[capabilities]
http_allow = ["llm.test"]
[config]
llm_url = "http://llm.test/v1/chat/completions"
model = "test-model"
system_prompt = "You sell ${product}."
knowledge = "Prices start at 10 yuan."
opening = "Hello ${name}"
filler = "Let me check"
fallback = "Sorry, say again?"
goodbye = "Bye now"
timeout_ms = 3000
max_failures = 2
"#;

fn tts(action: &Action) -> Option<&str> {
    match action {
        Action::Play(play) => match play.parts.as_slice() {
            [PromptPart::Tts(text)] => Some(text),
            _ => None,
        },
        _ => None,
    }
}

fn agent() -> voxgate_plugin_testkit::DialogueHarness {
    let mut kit = Testkit::load_with_manifest(dist("llm-agent"), AGENT_MANIFEST).unwrap();
    let mut call = kit.dialogue().unwrap();
    let mut info = samples::call_info();
    info.variables.push(Pair {
        name: "product".to_owned(),
        value: "widgets".to_owned(),
    });
    call.start(info).unwrap();
    let opening = call.answered().unwrap();
    assert_eq!(tts(&opening[0]), Some("Hello ${name}"));
    assert!(matches!(opening[1], Action::Listen(_)));
    call
}

/// The TTS texts of the hang-up's final prompt, if the actions hang up.
fn hang_up_texts(actions: &[Action]) -> Option<Vec<String>> {
    actions.iter().find_map(|a| match a {
        Action::HangUp(h) => Some(
            h.final_prompt
                .iter()
                .map(|part| match part {
                    PromptPart::Tts(text) => text.clone(),
                    PromptPart::File(id) => format!("file:{id}"),
                })
                .collect(),
        ),
        _ => None,
    })
}

fn request_of(actions: &[Action]) -> HttpRequest {
    actions
        .iter()
        .find_map(|a| match a {
            Action::HttpRequest(request) => Some(request.clone()),
            _ => None,
        })
        .expect("an http-request")
}

#[test]
fn llm_agent_sends_the_conversation_and_speaks_the_reply() {
    let mut call = agent();
    let actions = call.say("How much is it?").unwrap();
    let request = request_of(&actions);
    assert_eq!(request.timeout_ms, Some(3000));
    assert!(
        actions.iter().any(|a| tts(a) == Some("Let me check")),
        "filler: {actions:?}"
    );
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::StartTimer(t) if t.id == request.id))
    );
    let body = body_json(&request);
    let messages = body["messages"].as_array().unwrap();
    let system = messages[0]["content"].as_str().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert!(system.starts_with("You sell widgets."), "{system}");
    assert!(system.contains("Prices start at 10 yuan."));
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], "Hello Alex");
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"], "How much is it?");

    let actions = call
        .send(voxgate_plugin_testkit::dialogue::Event::HttpResponse(
            chat_reply(&request.id, "It costs 10 yuan.\n[LEVEL:B]"),
        ))
        .unwrap();
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::CancelTimer(id) if *id == request.id))
    );
    assert!(
        actions.iter().any(|a| tts(a) == Some("It costs 10 yuan.")),
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| matches!(a, Action::Listen(_))));
    assert_eq!(call.level(), Some("B"));

    // The next request carries the whole conversation.
    let next = request_of(&call.say("OK, goodbye").unwrap());
    let body = body_json(&next);
    let contents: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        &contents[1..],
        [
            "Hello Alex",
            "How much is it?",
            "It costs 10 yuan.",
            "OK, goodbye"
        ]
    );
    let actions = call
        .send(voxgate_plugin_testkit::dialogue::Event::HttpResponse(
            chat_reply(&next.id, "Thanks for calling! [HANGUP]"),
        ))
        .unwrap();
    assert_eq!(
        hang_up_texts(&actions),
        Some(vec!["Thanks for calling!".to_owned()])
    );
}

#[test]
fn llm_agent_falls_back_on_time_out_then_hangs_up() {
    let mut call = agent();
    let first = request_of(&call.say("Hello?").unwrap());
    let actions = call.advance(3_000).unwrap();
    assert!(
        actions.iter().any(|a| tts(a) == Some("Sorry, say again?")),
        "{actions:?}"
    );
    // The late answer to the timed-out request is ignored.
    let late = call
        .send(voxgate_plugin_testkit::dialogue::Event::HttpResponse(
            chat_reply(&first.id, "Hi"),
        ))
        .unwrap();
    assert!(late.is_empty(), "{late:?}");

    let second = request_of(&call.say("Anyone there?").unwrap());
    let actions = call
        .send(voxgate_plugin_testkit::dialogue::Event::HttpResponse(
            reply(&second.id, 502, ""),
        ))
        .unwrap();
    assert_eq!(hang_up_texts(&actions), Some(vec!["Bye now".to_owned()]));
    assert!(call.tags().contains(&"llm-failed".to_owned()));
}

#[test]
fn llm_agent_reprompts_once_on_silence_then_says_goodbye() {
    let mut call = agent();
    let first = call.silence().unwrap();
    assert!(
        first.iter().any(|a| tts(a) == Some("Are you still there?")),
        "{first:?}"
    );
    let second = call.silence().unwrap();
    assert!(
        second.iter().any(|a| matches!(a, Action::HangUp(_))),
        "{second:?}"
    );
}
