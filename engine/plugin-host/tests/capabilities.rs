//! Capabilities and determinism seen from a real component: key-value store, number masking,
//! injected clock and seed, config.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use common::*;
use voxgate_plugin_host::dialogue::Event;
use voxgate_plugin_host::{DialogueSession, SessionContext};

#[test]
fn kv_without_a_namespace_is_an_error_the_plugin_sees() {
    let host = host();
    let plugin = host
        .load_with_manifest(dist("misbehaving"), &misbehaving_manifest("echo", ""))
        .unwrap();
    let mut s = session(&plugin);
    let actions = s.on_event(Event::Answered).unwrap();
    assert!(
        tags(&actions).contains(&"kv-error".to_owned()),
        "{actions:?}"
    );
    assert_eq!(host.fault_counts().total, 0);
}

#[test]
fn kv_store_is_shared_by_the_sessions_of_a_host() {
    let host = host();
    let plugin = misbehaving(&host, "echo");
    for n in 1..=3 {
        let mut s = session(&plugin);
        let actions = s.on_event(Event::Answered).unwrap();
        assert!(tags(&actions).contains(&format!("kv-{n}")), "{actions:?}");
    }
    assert_eq!(host.kv().get("echo", "calls").as_deref(), Some("3"));
}

#[test]
fn numbers_are_masked_unless_the_manifest_allows_full_numbers() {
    let host = host();
    let masked = misbehaving(&host, "echo");
    let actions = session(&masked)
        .on_event(Event::CallStarted(call_info()))
        .unwrap();
    assert!(
        tags(&actions).contains(&"callee-138****5678".to_owned()),
        "{actions:?}"
    );

    let full = host
        .load_with_manifest(
            dist("misbehaving"),
            &misbehaving_manifest("echo", "full_numbers = true"),
        )
        .unwrap();
    let actions = session(&full)
        .on_event(Event::CallStarted(call_info()))
        .unwrap();
    assert!(
        tags(&actions).contains(&"callee-13812345678".to_owned()),
        "{actions:?}"
    );
}

#[test]
fn clock_and_seed_are_injected() {
    let host = host();
    let plugin = misbehaving(&host, "echo");
    let run = |seed: u64| {
        let mut s = DialogueSession::new(
            &plugin,
            SessionContext {
                label: "det".to_owned(),
                clock: Arc::new(TestClock(AtomicU64::new(1_234_567))),
                seed,
            },
        )
        .unwrap();
        let actions = s.on_event(Event::Answered).unwrap();
        assert!(
            tags(&actions).contains(&"now-1234567".to_owned()),
            "{actions:?}"
        );
        s.log_lines()
            .find(|l| l.message.starts_with("random "))
            .map(|l| l.message.clone())
            .expect("random log line")
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
}

#[test]
fn call_variables_reach_the_plugin() {
    let host = host();
    let plugin = misbehaving(&host, "echo");
    let actions = session(&plugin)
        .on_event(Event::CallStarted(call_info()))
        .unwrap();
    assert!(
        actions.iter().any(|a| matches!(a,
            voxgate_plugin_host::dialogue::Action::SetVariable(p) if p.name == "name" && p.value == "Alex")),
        "{actions:?}"
    );
}
