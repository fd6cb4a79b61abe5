//! Real calls run by dialogue plugins: baresip calls a route whose dialogue is the stock flow
//! plugin with a DTMF-driven flow, and routes whose plugin misbehaves get the fallback while the
//! engine keeps serving.

use std::time::Duration;

use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, LOOPBACK_TRUNK, TempDir, Voxgate, example_flow,
    example_prompt, plugin_wasm, require_peers, wav,
};

/// Routes: 3000 runs the DTMF survey flow; 3001 a plugin that traps; 3002 the well-behaved echo
/// plugin. A misbehaving plugin's manifest picks its behaviour, so each gets its own copy.
fn config(dir: &TempDir) -> String {
    let misbehaving = |behaviour: &str| {
        let wasm = dir.join(format!("{behaviour}.wasm"));
        std::fs::copy(plugin_wasm("misbehaving"), &wasm).expect("copy plugin");
        let manifest = std::fs::read_to_string(plugin_wasm("misbehaving").with_extension("toml"))
            .expect("manifest");
        let manifest = manifest.replace(
            "behaviour = \"echo\"",
            &format!("behaviour = \"{behaviour}\""),
        );
        std::fs::write(wasm.with_extension("toml"), manifest).expect("write manifest");
        wasm
    };
    let goodbye = example_prompt("goodbye.wav");
    format!(
        "{LOOPBACK_TRUNK}
[[route]]
name = \"survey\"
number = \"3000\"
plugin = \"{flow}\"
flow = \"{survey}\"
record = true
variables = {{ name = \"Ann\" }}

[[route]]
name = \"trap\"
number = \"3001\"
plugin = \"{trap}\"
fallback_prompt = \"{goodbye}\"

[[route]]
name = \"echo\"
number = \"3002\"
plugin = \"{echo}\"
max_duration_secs = 4
",
        flow = plugin_wasm("flow").display(),
        survey = example_flow("dtmf-survey.toml").display(),
        trap = misbehaving("trap").display(),
        echo = misbehaving("echo").display(),
        goodbye = goodbye.display(),
    )
}

fn caller(dir: &TempDir) -> Baresip {
    let input = dir.join("tone.wav");
    wav::write_tone(&input, 440.0, Duration::from_secs(30), 8000, 0.05).expect("tone");
    Baresip::start(BaresipOptions::new(&input).answer_mode(AnswerMode::Manual)).expect("baresip")
}

#[test]
fn baresip_answers_the_dtmf_survey_and_the_record_shows_the_path() {
    require_peers!("baresip");
    let dir = TempDir::new("dialogue-survey").expect("temp dir");
    let engine = Voxgate::start(&config(&dir)).expect("engine starts");
    let mut caller = caller(&dir);
    let r = engine
        .take_call(&mut caller, "3000", Duration::from_millis(1500), "1")
        .expect("call");
    assert_eq!(r["outcome"], "answered", "{r:#}");
    assert_eq!(r["hangup_by"], "bot", "{r:#}");
    assert!(r["dialogue"].as_str().unwrap().ends_with("flow.wasm"));
    assert_eq!(r["level"], "A", "{r:#}");
    assert_eq!(r["score"], 10, "{r:#}");
    assert_eq!(r["tags"], serde_json::json!(["interested"]), "{r:#}");
    assert_eq!(r["variables"]["name"], "Ann");
    let rounds = r["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 1, "{r:#}");
    assert_eq!(rounds[0]["input"]["kind"], "digits");
    assert_eq!(rounds[0]["input"]["digits"], "1");
    assert!(
        rounds[0]["node"].is_string(),
        "the flow names the node: {r:#}"
    );
    let prompts = r["prompts"].as_array().unwrap();
    assert!(prompts.len() >= 2, "opening and the answer: {r:#}");
    assert_eq!(prompts[0]["cut"], true, "the digit cut the opening prompt");
    assert!(r["faults"].as_array().unwrap().is_empty());
}

#[test]
fn a_trapping_plugin_gets_the_fallback_and_the_engine_keeps_serving() {
    require_peers!("baresip");
    let dir = TempDir::new("dialogue-faults").expect("temp dir");
    let engine = Voxgate::start(&config(&dir)).expect("engine starts");
    let mut caller = caller(&dir);
    let r = engine
        .take_call(&mut caller, "3001", Duration::from_millis(500), "")
        .expect("call to the trapping plugin");
    assert_eq!(r["outcome"], "answered", "{r:#}");
    assert_eq!(r["hangup_by"], "bot", "{r:#}");
    let faults = r["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 1, "{r:#}");
    assert_eq!(faults[0]["kind"], "trap");
    assert!(
        faults[0]["detail"]
            .as_str()
            .unwrap()
            .contains("deliberate trap"),
        "the panic message reaches the record: {r:#}"
    );
    let prompts = r["prompts"].as_array().unwrap();
    assert!(
        prompts.last().unwrap()["prompt"]
            .as_str()
            .unwrap()
            .ends_with("goodbye.wav"),
        "the fallback goodbye played: {r:#}"
    );

    let r = engine
        .take_call(&mut caller, "3002", Duration::from_millis(1000), "7")
        .expect("call to the echo plugin after the fault");
    assert!(r["faults"].as_array().unwrap().is_empty(), "{r:#}");
    let tags: Vec<&str> = r["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(tags.contains(&"digit-7"), "{r:#}");
}
