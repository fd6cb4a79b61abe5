//! The testkit driving the well-behaved `echo` mode of `plugins/dist/misbehaving.wasm`.

use std::path::PathBuf;

use voxgate_plugin_testkit::dialogue::{Action, CollectEnd};
use voxgate_plugin_testkit::types::HangupParty;
use voxgate_plugin_testkit::{DEFAULT_START_MS, FaultKind, Testkit, samples};

fn misbehaving() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist/misbehaving.wasm");
    assert!(
        path.exists(),
        "{} is missing: run plugins/build first",
        path.display()
    );
    path
}

fn manifest(behaviour: &str) -> String {
    format!(
        "[plugin]\nname = \"misbehaving\"\nkind = \"dialogue\"\n[capabilities]\nkv_namespace = \"echo\"\n\
         [config]\nbehaviour = \"{behaviour}\"\n"
    )
}

#[test]
fn a_whole_call_is_tracked() {
    let mut kit = Testkit::load(misbehaving()).unwrap();
    let mut call = kit.dialogue().unwrap();
    call.start(samples::call_info()).unwrap();
    assert_eq!(
        call.variables().get("name").map(String::as_str),
        Some("Alex")
    );
    assert_eq!(call.tags(), ["callee-138****5678"]);

    let actions = call.answered().unwrap();
    assert!(actions.iter().any(|a| matches!(a, Action::Play(_))));
    assert!(call.tags().contains(&format!("now-{DEFAULT_START_MS}")));
    assert!(call.tags().contains(&"kv-1".to_owned()));
    assert_eq!(call.timers(), [("t1".to_owned(), DEFAULT_START_MS + 1000)]);

    call.digit('d').unwrap();
    call.digit('d').unwrap();
    assert_eq!(call.score(), 2);

    assert!(call.advance(999).unwrap().is_empty());
    let fired = call.advance(1).unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert!(call.tags().contains(&"timer-t1".to_owned()));
    assert_eq!(kit.clock().now_ms(), DEFAULT_START_MS + 1000);

    call.say("hello there").unwrap();
    call.silence().unwrap();
    call.digits("12", CollectEnd::MaxDigits).unwrap();
    call.playback_finished().unwrap();
    assert!(!call.ended());
    call.hangup(HangupParty::Remote).unwrap();
    assert!(call.ended());
    assert!(call.tags().contains(&"hangup-remote".to_owned()));
    assert_eq!(call.level(), None);
    assert!(
        call.log_lines()
            .iter()
            .any(|l| l.starts_with("info: random ")),
        "{:?}",
        call.log_lines()
    );
    assert_eq!(call.history().len(), 10);
}

#[test]
fn same_seed_same_log_and_kv_is_shared_between_calls() {
    let mut kit = Testkit::load_with_manifest(misbehaving(), &manifest("echo")).unwrap();
    let mut first = kit.dialogue().unwrap();
    first.answered().unwrap();
    let mut second = kit.dialogue().unwrap();
    second.answered().unwrap();
    assert!(second.tags().contains(&"kv-2".to_owned()));
    let random = |lines: Vec<String>| lines.into_iter().find(|l| l.contains("random")).unwrap();
    assert_eq!(random(first.log_lines()), random(second.log_lines()));
}

#[test]
fn faults_come_back_as_errors() {
    let mut kit = Testkit::load_with_manifest(misbehaving(), &manifest("trap")).unwrap();
    let mut call = kit.dialogue().unwrap();
    let fault = call.answered().unwrap_err();
    assert_eq!(fault.kind, FaultKind::Trap);
    assert!(fault.detail.contains("deliberate trap"), "{}", fault.detail);
    assert_eq!(call.history().len(), 1);
    assert_eq!(kit.host().fault_counts().total, 1);
}

#[test]
fn a_dialogue_plugin_is_not_a_crm_plugin() {
    let mut kit = Testkit::load(misbehaving()).unwrap();
    let err = kit.crm().err().expect("wrong kind").to_string();
    assert!(err.contains("is a dialogue plugin, not crm-sync"), "{err}");
}
