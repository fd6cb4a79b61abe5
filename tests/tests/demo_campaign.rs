//! The demo's campaign end to end (examples/demo/): `voxgate sim-carrier` callees with spoken
//! conversations, early-media SIT tones and announcements; voxgate with the flow plugin,
//! Whisper tiny.en and espeak-ng. Every number ends as its persona says, the spoken turns take
//! the flow's scripted branches, recordings hold both sides, records and rounds are in SQLite.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use voxgate_tests::demo::{Demo, DemoSetup, repo_root};
use voxgate_tests::{
    ENERGY_THRESHOLD, TempDir, Wav, free_sip_port, free_tcp_port, free_udp_range, skip_or_fail,
};

/// The result each persona code (digits 4-5 of the national number) must end in.
fn expected_result(code: &str) -> &'static str {
    match code {
        "01" | "02" | "03" | "04" | "05" | "06" => "answered",
        "07" => "busy",
        "08" => "no_answer",
        "09" => "empty_number",
        "10" => "powered_off",
        _ => "rejected",
    }
}

/// The level the flow's rules give each conversation when every turn is understood, and the
/// tag that shows its scripted branch was taken.
fn expected_branch(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "01" => Some(("A", "interested")),
        "02" => Some(("B", "follow-up")),
        "03" => Some(("C", "asked-price")),
        "04" => Some(("E", "declined")),
        "05" => Some(("D", "call-back")),
        "06" => Some(("F", "wrong-number")),
        _ => None,
    }
}

#[test]
fn the_demo_campaign_ends_as_the_personas_say() {
    let root = repo_root();
    for needed in [
        "whisper-models/tiny.en/model.safetensors",
        "plugins/dist/flow.wasm",
    ] {
        if !root.join(needed).exists() {
            return skip_or_fail(&format!("{needed} is missing (run scripts/bootstrap)"));
        }
    }
    let dir = TempDir::new("demo").expect("temp dir");
    let setup = DemoSetup {
        dir: dir.join("run"),
        sip: ([127, 0, 0, 1], free_sip_port()).into(),
        api: ([127, 0, 0, 1], free_tcp_port()).into(),
        carrier: ([127, 0, 0, 1], free_sip_port()).into(),
        engine_rtp: free_udp_range(1000),
        carrier_rtp: free_udp_range(1000),
    };
    let mut demo = Demo::start(setup).expect("demo started");
    let result = demo.run_campaign(Duration::from_secs(900));
    let run_dir = demo.dir().to_path_buf();
    demo.stop();
    let result = result.expect("campaign finished");
    assert_eq!(result.records.len(), 24, "one attempt per number");

    let mut wrong = Vec::new();
    let mut branches = (0, 0);
    let mut announced = 0;
    let mut table = String::new();
    for detail in &result.records {
        let r = &detail["record"];
        let phone = r["phone"].as_str().unwrap_or_default();
        let code = phone
            .strip_prefix("+86")
            .and_then(|n| n.get(3..5))
            .unwrap_or_default();
        let result = r["result"].as_str().unwrap_or_default();
        let level = r["level"].as_str().unwrap_or("-");
        let tags: Vec<&str> = r["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let heard: Vec<&str> = detail["rounds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|round| round["text"].as_str())
            .collect();
        table.push_str(&format!(
            "{phone} {result:<13} level {level} tags {tags:?} evidence {:?} heard {heard:?}\n",
            r["evidence"].as_str().unwrap_or_default()
        ));
        if result != expected_result(code) {
            wrong.push(format!(
                "{phone}: {result}, expected {}",
                expected_result(code)
            ));
        }
        match code {
            "09" => assert!(
                r["evidence"].as_str().unwrap_or_default().contains("SIT"),
                "{phone}: the vacant number is classified by its SIT tones\n{table}"
            ),
            "10" => {
                let evidence = r["evidence"].as_str().unwrap_or_default();
                announced += usize::from(evidence.contains("announcement"));
            }
            _ => {}
        }
        if let Some((want_level, tag)) = expected_branch(code) {
            branches.1 += 1;
            if level == want_level && tags.contains(&tag) {
                branches.0 += 1;
            }
            let path = run_dir.join(format!("recordings/demo/{}.wav", r["attempt"]));
            let wav = Wav::read(&path).expect("recording");
            let end = wav.duration();
            assert!(
                wav.has_energy_between(0, Duration::ZERO, end, ENERGY_THRESHOLD)
                    && wav.has_energy_between(1, Duration::ZERO, end, ENERGY_THRESHOLD),
                "{phone}: the recording holds both sides"
            );
            assert!(
                !heard.is_empty(),
                "{phone}: the callee's words were recognised\n{table}"
            );
        }
    }
    eprintln!(
        "demo campaign: {} calls in {:.0} s; scripted branches taken {} of {}\n{table}",
        result.records.len(),
        result.elapsed.as_secs_f64(),
        branches.0,
        branches.1
    );
    // Both switched-off numbers end as powered_off either way (480 + cause 20); at least one
    // must have been classified by its recognised announcement (recognising synthetic speech
    // on a loaded machine is not perfect, hence not both).
    assert!(announced >= 1, "no announcement was recognised\n{table}");
    assert!(
        wrong.is_empty(),
        "outcomes differ from the personas: {wrong:?}\n{table}"
    );
    // Recognition of espeak-ng speech by tiny.en is modest: measured 8 to 10 of 12 conversations
    // on script (one persona's "yes please, put me through" is heard without its "yes" in every
    // run). More than half must follow their script exactly; a broken recogniser, front end or
    // flow gets few or none (the numbers above are the measurement).
    assert!(
        branches.0 * 2 > branches.1,
        "only {} of {} conversations took their scripted branch\n{table}",
        branches.0,
        branches.1
    );
    let by_result: BTreeMap<String, u64> =
        serde_json::from_value(result.stats["by_result"].clone()).unwrap_or_default();
    assert_eq!(by_result.get("answered"), Some(&12), "{:?}", result.stats);
    assert_eq!(
        result.journal.len(),
        24,
        "the carrier journalled every call"
    );

    let db = rusqlite::Connection::open(run_dir.join("voxgate.db")).expect("database");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |row| row.get(0)).expect(sql) };
    assert_eq!(
        count("SELECT COUNT(*) FROM attempts WHERE finished = 1"),
        24
    );
    assert!(
        count("SELECT COUNT(*) FROM rounds") >= 12,
        "rounds are stored"
    );
}
