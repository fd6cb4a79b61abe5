//! Post-call jobs against the example plugins in `plugins/dist` and a loopback HTTP server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use voxgate_call::{EarlyMedia, PromptPlayed, Round};
use voxgate_plugin_host::HostConfig;

use super::*;

const T0: u64 = 1_700_000_000_000;
const CAMPAIGN: &str = "spring-sale";

fn dist(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(file)
}

/// The post-call host as the engine builds it, with the test compile cache.
fn post_call() -> PostCall {
    let host = PluginHost::new(HostConfig {
        max_instances: 8,
        cache_dir: Some(std::env::temp_dir().join("voxgate-plugin-cache")),
        ..HostConfig::default()
    })
    .expect("plugin host");
    PostCall::new(Arc::new(host), HttpClient::new())
}

/// A copy of a `plugins/dist` component with a manifest written by the test; removed on drop.
struct PluginCopy {
    dir: PathBuf,
    wasm: PathBuf,
}

impl PluginCopy {
    fn new(name: &str, manifest: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("voxgate-postcall-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let wasm = dir.join(format!("{name}.wasm"));
        std::fs::copy(dist(&format!("{name}.wasm")), &wasm).expect("copy the plugin");
        std::fs::write(dir.join(format!("{name}.toml")), manifest).expect("manifest");
        Self { dir, wasm }
    }
}

impl Drop for PluginCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The crm-webhook manifest pointed at `address`; the HMAC key is read from `PATH`, a variable
/// every test process has (setting one would need `unsafe`).
fn crm_plugin(address: &str) -> PluginCopy {
    PluginCopy::new(
        "crm-webhook",
        &format!(
            "[plugin]\nname = \"crm-webhook\"\nkind = \"crm-sync\"\n\
             [capabilities]\nhttp_allow = [\"127.0.0.1\"]\nfull_numbers = true\n\
             [secrets]\nhmac_key = \"PATH\"\n\
             [config]\nlookup_url = \"http://{address}/customers\"\n\
             push_url = \"http://{address}/calls\"\ntimeout_ms = 1000\n"
        ),
    )
}

/// One request as the loopback server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

type Reply = fn(&Seen) -> (u16, String, Duration);

/// A loopback HTTP/1.1 server answering each request with `reply`; returns its address and
/// the requests it saw.
async fn server(reply: Reply) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut socket).await else {
                    return;
                };
                log.lock().unwrap().push(request.clone());
                let (status, body, delay) = reply(&request);
                tokio::time::sleep(delay).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
            });
        }
    });
    (address, seen)
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut start = lines.next()?.split(' ');
    let (method, target) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .map_or(Ok(0), |v| v.parse())
        .ok()?;
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        target,
        headers,
        body: buf[head_end..head_end + length].to_vec(),
    })
}

fn record(outcome: Outcome) -> CallRecord {
    CallRecord {
        call_id: "c1@voxgate".into(),
        direction: Direction::Outbound,
        trunk: Some("carrier-a".into()),
        route: None,
        from: "4000123456".into(),
        to: "13812345678".into(),
        remote_address: Some("10.0.0.1:5060".into()),
        invite_unix_ms: T0,
        ring_unix_ms: Some(T0 + 1_000),
        answer_unix_ms: None,
        hangup_unix_ms: Some(T0 + 30_000),
        ring_ms: Some(30_000),
        talk_ms: None,
        outcome: Some(outcome),
        sip_code: Some(480),
        sip_reason: Some("Temporarily Unavailable".into()),
        reason_header: None,
        hangup_by: Some(HangupBy::Bot),
        digits: String::new(),
        digits_done: None,
        dtmf: Vec::new(),
        prompts: Vec::new(),
        recording: None,
        media: None,
        voice: Vec::new(),
        dialogue: Some("flow.wasm 0.1.0".into()),
        rounds: Vec::new(),
        tags: Vec::new(),
        score: 0,
        level: None,
        variables: BTreeMap::from([("name".to_owned(), "Li".to_owned())]),
        transfers: Vec::new(),
        faults: Vec::new(),
        early_media: None,
    }
}

fn prompt(text: &str, start_ms: u64, end_ms: u64) -> PromptPlayed {
    PromptPlayed {
        prompt: text.into(),
        start_ms,
        end_ms: Some(end_ms),
        cut: false,
    }
}

fn round(index: u32, at_ms: u64, duration_ms: u32, text: &str, reply_ms: u64) -> Round {
    Round {
        index,
        at_ms,
        input: RoundInput::Utterance {
            text: Some(text.into()),
            duration_ms,
            barged_in: false,
        },
        note: None,
        reply: vec![format!("reply {index}")],
        reply_ms: Some(reply_ms),
    }
}

/// Answered after 5 s, 40 s of talk, an opening and three rounds of conversation, score 6.
fn answered() -> CallRecord {
    CallRecord {
        answer_unix_ms: Some(T0 + 5_000),
        hangup_unix_ms: Some(T0 + 45_000),
        ring_ms: Some(5_000),
        talk_ms: Some(40_000),
        sip_code: Some(200),
        sip_reason: Some("OK".into()),
        hangup_by: Some(HangupBy::Remote),
        prompts: vec![
            prompt("Hello, this is Acme about your loan offer", 5_100, 9_000),
            prompt("reply 1", 11_200, 15_000),
            prompt("reply 2", 18_200, 24_000),
            prompt("reply 3", 28_200, 33_000),
        ],
        rounds: vec![
            round(1, 11_000, 1_500, "Yes, tell me more", 11_200),
            round(2, 18_000, 2_000, "What is the interest rate", 18_200),
            round(3, 28_000, 1_200, "Send me the details please", 28_200),
        ],
        tags: vec!["interested".into()],
        score: 6,
        recording: Some("/var/rec/c1.wav".into()),
        ..record(Outcome::Answered)
    }
}

#[test]
fn the_summary_and_transcript_follow_the_record() {
    let call = answered();
    let s = call_summary(CAMPAIGN, &call);
    assert_eq!(s.call.campaign.as_deref(), Some(CAMPAIGN));
    let names = (
        s.call.callee.as_str(),
        s.call.caller.as_str(),
        s.outcome.as_str(),
    );
    assert_eq!(names, ("13812345678", "4000123456", "answered"));
    let times = (s.started_unix_ms, s.answered_unix_ms, s.ended_unix_ms);
    assert_eq!(times, (T0, Some(T0 + 5_000), T0 + 45_000));
    assert_eq!(
        (s.ring_ms, s.talk_ms, s.rounds, s.score),
        (5_000, 40_000, 3, 6)
    );
    assert!(matches!(s.hangup_by, HangupParty::Remote));
    assert_eq!(s.recording.as_deref(), Some("/var/rec/c1.wav"));
    let first = &s.variables[0];
    assert_eq!((first.name.as_str(), first.value.as_str()), ("name", "Li"));
    let json: Value = serde_json::from_str(&s.record_json).unwrap();
    assert_eq!(json["call_id"], "c1@voxgate");

    let turns = transcript(&call);
    let speakers: Vec<&str> = turns.iter().map(|t| t.speaker.as_str()).collect();
    assert_eq!(
        speakers,
        ["bot", "callee", "bot", "callee", "bot", "callee", "bot"]
    );
    // Times count from the answer: the first callee turn ended 6 s in, after 1.5 s of speech.
    assert_eq!((turns[0].start_ms, turns[0].end_ms), (100, 4_000));
    assert_eq!(
        (turns[1].text.as_str(), turns[1].start_ms, turns[1].end_ms),
        ("Yes, tell me more", 4_500, 6_000)
    );

    let mut early = record(Outcome::LineFault);
    early.early_media = Some(EarlyMedia {
        result: "powered_off".into(),
        evidence: "关机".into(),
    });
    assert_eq!(call_summary("", &early).outcome, "powered_off");
    assert_eq!(call_summary("", &early).call.campaign, None);
    early.outcome = None;
    early.early_media = None;
    assert_eq!(call_summary("", &early).outcome, "engine_error");
}

#[tokio::test]
async fn an_answered_call_gets_a_level_and_a_summary() {
    let report = post_call()
        .analyse(&dist("call-analysis.wasm"), CAMPAIGN, &answered())
        .await
        .expect("a report");
    // Score 6 >= 5 and 3 rounds: B under the example manifest's rules.
    assert_eq!(report["level"], "B", "{report}");
    assert_eq!(report["invalid"], false);
    assert_eq!(report["invalid_reason"], Value::Null);
    let summary = report["summary"].as_str().unwrap();
    assert!(summary.contains("tell me more"), "{summary}");
    assert!(!report["customer_situation"].as_str().unwrap().is_empty());
    assert!(!report["next_actions"].as_array().unwrap().is_empty());
    assert!(report["tags"].is_array() && report["findings"].is_array());
}

#[tokio::test]
async fn short_and_unanswered_calls_are_invalid() {
    let jobs = post_call();
    let plugin = dist("call-analysis.wasm");
    let report = jobs
        .analyse(&plugin, CAMPAIGN, &record(Outcome::NoAnswer))
        .await
        .unwrap();
    assert_eq!(
        (report["invalid"].clone(), report["level"].clone()),
        (Value::Bool(true), "F".into())
    );
    assert_eq!(report["invalid_reason"], "not answered (no_answer)");

    let mut short = answered();
    short.talk_ms = Some(2_000);
    let report = jobs.analyse(&plugin, CAMPAIGN, &short).await.unwrap();
    assert_eq!(report["invalid"], true);
    assert!(
        report["invalid_reason"]
            .as_str()
            .unwrap()
            .contains("talk time 2000 ms"),
        "{report}"
    );
    assert_eq!(report["findings"][0]["rule"], "short-call", "{report}");
}

#[tokio::test]
async fn the_analysis_http_request_is_answered() {
    let (address, seen) = server(|_| {
        let content = r#"Sure: {"situation": "Wants a quote", "actions": ["Call back Monday"]}"#;
        let body = json!({ "choices": [{ "message": { "content": content } }] });
        (200, body.to_string(), Duration::ZERO)
    })
    .await;
    let plugin = PluginCopy::new(
        "call-analysis",
        &format!(
            "[plugin]\nname = \"call-analysis\"\nkind = \"analysis\"\n\
             [capabilities]\nhttp_allow = [\"127.0.0.1\"]\n\
             [config]\nllm_url = \"http://{address}/v1/chat/completions\"\n"
        ),
    );
    let report = post_call()
        .analyse(&plugin.wasm, CAMPAIGN, &answered())
        .await
        .unwrap();
    assert_eq!(report["customer_situation"], "Wants a quote", "{report}");
    assert_eq!(report["next_actions"], json!(["Call back Monday"]));
    let seen = seen.lock().unwrap();
    assert_eq!((seen.len(), seen[0].method.as_str()), (1, "POST"));
    assert!(String::from_utf8_lossy(&seen[0].body).contains("What is the interest rate"));
}

#[tokio::test]
async fn a_push_is_a_signed_post_and_a_dead_crm_is_not_pushed() {
    let (address, seen) = server(|_| (200, "{}".into(), Duration::ZERO)).await;
    let plugin = crm_plugin(&address);
    let jobs = post_call();
    let result = jobs
        .push_to_crm(&plugin.wasm, CAMPAIGN, &answered())
        .await
        .unwrap();
    assert_eq!(result, json!({ "pushed": true, "requests": 1 }));
    let request = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("POST", "/calls")
    );
    let key = std::env::var("PATH").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(&request.body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        request.headers["x-voxgate-signature"],
        format!("sha256={hex}")
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        (body["call_id"].as_str(), body["campaign"].as_str()),
        (Some("c1@voxgate"), Some(CAMPAIGN))
    );
    assert_eq!(
        (body["callee"].as_str(), body["rounds"].as_u64()),
        (Some("13812345678"), Some(3))
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = crm_plugin(&closed.to_string());
    let result = jobs
        .push_to_crm(&down.wasm, CAMPAIGN, &answered())
        .await
        .unwrap();
    assert_eq!(result, json!({ "pushed": false, "requests": 1 }));
}

#[tokio::test]
async fn a_lookup_returns_the_crm_fields() {
    let (address, seen) = server(|_| {
        (
            200,
            r#"{"name":"Li","age":42,"vip":true,"tags":[]}"#.into(),
            Duration::ZERO,
        )
    })
    .await;
    let plugin = crm_plugin(&address);
    let vars = [("region".to_owned(), "north".to_owned())];
    let mut fields = post_call()
        .lookup(
            &plugin.wasm,
            CAMPAIGN,
            "13812345678",
            &vars,
            DEFAULT_LOOKUP_TIMEOUT,
        )
        .await
        .unwrap();
    fields.sort();
    let expected =
        [("age", "42"), ("name", "Li"), ("vip", "true")].map(|(k, v)| (k.to_owned(), v.to_owned()));
    assert_eq!(fields, expected);
    let seen = seen.lock().unwrap();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].target.as_str()),
        ("GET", "/customers?number=13812345678")
    );
}

#[tokio::test]
async fn lookups_fail_on_errors_and_time_out() {
    let (address, _) = server(|seen| match seen.target.rsplit('=').next() {
        Some("1") => (500, String::new(), Duration::ZERO),
        Some("2") => (404, String::new(), Duration::ZERO),
        _ => (200, "{}".into(), Duration::from_secs(3)),
    })
    .await;
    let plugin = crm_plugin(&address);
    let jobs = post_call();
    let limit = Duration::from_secs(5);
    match jobs.lookup(&plugin.wasm, CAMPAIGN, "1", &[], limit).await {
        Err(PostCallError::Failed(why)) => assert!(why.contains("HTTP 500"), "{why}"),
        other => panic!("expected a failed lookup, got {other:?}"),
    }
    let unknown = jobs.lookup(&plugin.wasm, CAMPAIGN, "2", &[], limit).await;
    assert_eq!(unknown.unwrap(), Vec::new());
    let started = Instant::now();
    let slow = jobs
        .lookup(&plugin.wasm, CAMPAIGN, "3", &[], Duration::from_millis(300))
        .await;
    assert!(matches!(slow, Err(PostCallError::TimedOut)), "{slow:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn wrong_or_missing_plugins_are_plugin_errors() {
    let jobs = post_call();
    let wrong = jobs
        .analyse(&dist("crm-webhook.wasm"), CAMPAIGN, &answered())
        .await;
    match wrong {
        Err(PostCallError::Plugin(why)) => assert!(why.contains("not analysis"), "{why}"),
        other => panic!("expected a plugin error, got {other:?}"),
    }
    let missing = jobs
        .push_to_crm(&dist("no-such.wasm"), CAMPAIGN, &answered())
        .await;
    assert!(
        matches!(missing, Err(PostCallError::Plugin(_))),
        "{missing:?}"
    );
}
