//! Campaigns end to end against SIPp callees on loopback, driven through the HTTP API:
//! the statistics match what the callees did, redials happen as configured, and a SIGKILL in
//! the middle of a campaign loses no finished record and dials no number twice.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use voxgate_tests::{
    SippOptions, TempDir, Voxgate, api, example_flow, free_tcp_port, plugin_wasm, require_peers,
};

const TOKEN: &str = "campaign-test-token";

/// The engine config's trunk, API and campaign file.
fn engine_config(
    gateway: SocketAddr,
    api: SocketAddr,
    campaign: &Path,
    trunk_extra: &str,
) -> String {
    format!(
        "[[trunk]]\nname = \"carrier\"\ngateways = [\"{gateway}\"]\nauth = \"ip\"\ncaller_id = \"4000\"\nring_timeout_secs = 2\nmax_calls = 40\n{trunk_extra}\n\n[api]\nlisten = \"{api}\"\ntoken_env = \"VOXGATE_TEST_TOKEN\"\n\n[campaigns]\nfiles = [\"{}\"]\n",
        campaign.display()
    )
}

/// A campaign file dialling `numbers.csv` beside it through the flow plugin's DTMF survey.
fn write_campaign(
    dir: &TempDir,
    name: &str,
    numbers: &[String],
    extra: &str,
) -> std::path::PathBuf {
    let mut csv = String::from("phone,name\n");
    for (i, n) in numbers.iter().enumerate() {
        csv.push_str(&format!("{n},customer {i}\n"));
    }
    std::fs::write(dir.join("numbers.csv"), csv).expect("numbers");
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        r#"name = "{name}"
trunk = "carrier"
timezone = "UTC"
recording = false
ring_timeout = "4s"
max_concurrent = 10
calls_per_second = 20
{extra}

[windows]
mon-sun = ["00:00-24:00"]

[dialogue]
plugin = "{}"
flow = "{}"

[[numbers]]
file = "numbers.csv"
"#,
        plugin_wasm("flow").display(),
        example_flow("dtmf-survey.toml").display()
    );
    std::fs::write(&path, text).expect("campaign");
    path
}

fn start_campaign(api: SocketAddr, name: &str) {
    let r = api::post(
        api,
        TOKEN,
        &format!("/campaigns/{name}/start"),
        "application/json",
        b"",
    )
    .expect("start");
    assert_eq!(r.status, 200, "start: {}", String::from_utf8_lossy(&r.body));
}

/// Poll the campaign until it is finished; returns its last state.
fn wait_finished(api: SocketAddr, name: &str, timeout: Duration) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let r = api::get(api, TOKEN, &format!("/campaigns/{name}")).expect("campaign");
        let body = r.json();
        if body["status"] == "finished" {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "campaign not finished in time: {body}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn records(api: SocketAddr, name: &str) -> Vec<serde_json::Value> {
    let r = api::get(api, TOKEN, &format!("/records?campaign={name}&limit=1000")).expect("records");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    body.as_array()
        .or_else(|| body["records"].as_array())
        .cloned()
        .unwrap_or_else(|| panic!("records: {body}"))
}

#[test]
fn a_campaign_against_sipp_callees_gets_the_results_they_gave() {
    require_peers!("sipp");
    let dir = TempDir::new("campaign-mix").expect("temp dir");
    // 200 numbers; the callee's behaviour is the last digit (see uas_campaign_mix.xml): 20 each.
    let numbers: Vec<String> = (0..200).map(|i| format!("138{i:08}")).collect();
    // Busy numbers are tried twice, 1 s apart: 40 busy numbers give 80 busy attempts.
    let campaign = write_campaign(
        &dir,
        "mix",
        &numbers,
        "\n[redial]\nbusy = { delay = \"1s\", max_attempts = 2 }\n",
    );
    let expected_calls = 240;
    let mut sipp = SippOptions::uas("uas_campaign_mix")
        .calls(expected_calls)
        .duration(Duration::from_millis(1500))
        .timeout(Duration::from_secs(150))
        .start()
        .expect("sipp");
    let api_addr = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()));
    let engine = Voxgate::start_with_env(
        None,
        "sip_t1_ms = 50\ndatabase = \"voxgate.db\"",
        &engine_config(sipp.sip_addr(), api_addr, &campaign, ""),
        &[("VOXGATE_TEST_TOKEN", TOKEN)],
    )
    .expect("voxgate");
    start_campaign(api_addr, "mix");
    wait_finished(api_addr, "mix", Duration::from_secs(120));

    let stats = api::get(api_addr, TOKEN, "/campaigns/mix/stats")
        .expect("stats")
        .json();
    let by_result: BTreeMap<String, u64> =
        serde_json::from_value(stats["by_result"].clone()).expect("by_result");
    let expected: BTreeMap<String, u64> = [
        ("answered", 60),
        ("busy", 80),
        ("no_answer", 20),
        ("empty_number", 40),
        ("powered_off", 20),
        ("unreachable", 20),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(by_result, expected, "stats: {stats}");
    assert_eq!(stats["attempts"], 240, "stats: {stats}");
    let connect_rate = stats["connect_rate"].as_f64().expect("connect rate");
    assert!((connect_rate - 60.0 / 240.0).abs() < 1e-9, "stats: {stats}");

    // Every record carries its evidence; the powered-off ones the Q.850 cause.
    let all = records(api_addr, "mix");
    assert_eq!(all.len(), 240);
    for r in &all {
        let phone = r["phone"].as_str().expect("phone");
        assert!(
            phone.starts_with("+86138"),
            "numbers are stored in E.164: {r}"
        );
        let digit = phone
            .chars()
            .last()
            .and_then(|c| c.to_digit(10))
            .expect("digit");
        let want = match digit {
            0..=2 => "answered",
            3 | 4 => "busy",
            5 => "no_answer",
            6 | 7 => "empty_number",
            8 => "powered_off",
            _ => "unreachable",
        };
        assert_eq!(r["result"], want, "record: {r}");
        if want == "powered_off" {
            assert_eq!(r["cause"], 20, "record: {r}");
        }
    }
    // SIPp played every callee. With T1 = 50 ms (to keep Timer B short for the silent callees)
    // a retransmitted INVITE can cross SIPp's 200 on a loaded machine, and SIPp then aborts
    // its side of that call; the engine's side is what the statistics above checked.
    let outcome = sipp.wait(Duration::from_secs(30)).expect("sipp ends");
    assert_eq!(
        outcome.successful + outcome.failed,
        240,
        "sipp: {outcome:?}"
    );
    assert!(outcome.failed <= 3, "sipp: {outcome:?}");
    drop(engine);
}

#[test]
fn a_crash_mid_campaign_loses_no_record_and_dials_no_number_twice() {
    require_peers!("sipp");
    let dir = TempDir::new("campaign-crash").expect("temp dir");
    let numbers: Vec<String> = (0..30).map(|i| format!("139{i:08}")).collect();
    // An attempt cut by the crash is an engine error, tried again 1 s later.
    let campaign = write_campaign(
        &dir,
        "crash",
        &numbers,
        "\n[redial]\nengine_error = { delay = \"1s\", max_attempts = 3 }\n",
    );
    std::fs::write(
        &campaign,
        std::fs::read_to_string(&campaign)
            .expect("read")
            .replace("max_concurrent = 10", "max_concurrent = 6")
            .replace("calls_per_second = 20", "calls_per_second = 4"),
    )
    .expect("write");
    let sipp = SippOptions::uas("uas_answer_then_bye")
        .calls(1000)
        .duration(Duration::from_millis(2500))
        .timeout(Duration::from_secs(120))
        .arg("-trace_msg")
        .start()
        .expect("sipp");
    let api_addr = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()));
    let mut engine = Voxgate::start_with_env(
        None,
        "sip_t1_ms = 50\ndatabase = \"voxgate.db\"",
        &engine_config(sipp.sip_addr(), api_addr, &campaign, ""),
        &[("VOXGATE_TEST_TOKEN", TOKEN)],
    )
    .expect("voxgate");
    start_campaign(api_addr, "crash");
    // Let some calls finish and others be in flight, then crash.
    std::thread::sleep(Duration::from_millis(4500));
    let before = records(api_addr, "crash");
    engine.kill();
    engine.restart().expect("restart");
    wait_finished(api_addr, "crash", Duration::from_secs(90));
    let after = records(api_addr, "crash");

    // No finished record is lost.
    for r in before.iter().filter(|r| r["result"].is_string()) {
        assert!(
            after
                .iter()
                .any(|a| a["attempt"] == r["attempt"] && a["result"] == r["result"]),
            "record lost across the crash: {r}"
        );
    }
    // Every number answered exactly once; an interrupted attempt shows as engine_error first.
    let mut by_phone: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in &after {
        by_phone
            .entry(r["phone"].as_str().expect("phone").to_owned())
            .or_default()
            .push(r["result"].as_str().unwrap_or("").to_owned());
    }
    assert_eq!(by_phone.len(), numbers.len(), "every number attempted");
    for (phone, results) in &by_phone {
        let answered = results.iter().filter(|r| *r == "answered").count();
        assert_eq!(answered, 1, "{phone}: {results:?}");
        assert!(
            results
                .iter()
                .all(|r| r == "answered" || r == "engine_error"),
            "{phone}: {results:?}"
        );
    }
    // The callee saw no number more often than the database has attempts for it.
    let log = std::fs::read_dir(sipp.dir())
        .expect("sipp dir")
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().ends_with("_messages.log"))
        .map(|e| std::fs::read_to_string(e.path()).expect("messages"))
        .expect("sipp message log");
    let dialled = invites_by_number(&log);
    for (phone, results) in &by_phone {
        let national = phone.trim_start_matches("+86");
        let invites = dialled.get(national).copied().unwrap_or(0);
        assert!(invites >= 1, "{phone} never reached the callee");
        assert!(
            invites <= results.len(),
            "{phone}: the callee got {invites} calls, the database has {results:?}"
        );
    }
    drop(sipp);
}

/// Distinct calls (Call-IDs) per called number in a SIPp `-trace_msg` log; retransmissions of
/// one INVITE count once.
fn invites_by_number(log: &str) -> BTreeMap<String, usize> {
    let mut calls: std::collections::BTreeSet<(String, String)> = Default::default();
    let mut number: Option<String> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("INVITE sip:") {
            number = rest.split('@').next().map(str::to_owned);
        } else if let Some(n) = &number {
            let lower = line.to_ascii_lowercase();
            if let Some(id) = lower
                .strip_prefix("call-id:")
                .or_else(|| lower.strip_prefix("i:"))
            {
                calls.insert((n.clone(), id.trim().to_owned()));
                number = None;
            }
        }
    }
    let mut counts = BTreeMap::new();
    for (n, _) in calls {
        *counts.entry(n).or_default() += 1;
    }
    counts
}
