//! One test per misbehaviour of `plugins/dist/misbehaving.wasm`: the fault kind, the poisoned
//! instance, the fault counter, and an echo session on the same host that keeps working.

mod common;

use common::*;
use voxgate_plugin_host::FaultKind;
use voxgate_plugin_host::dialogue::{Action, Event};

fn answered_fault(behaviour: &str, expected: FaultKind) -> String {
    answered_fault_with(behaviour, expected, "kv_namespace = \"echo\"")
}

/// Like [`answered_fault`], with `manifest_extra` in the manifest's `[capabilities]` (and any
/// table after it).
fn answered_fault_with(behaviour: &str, expected: FaultKind, manifest_extra: &str) -> String {
    let host = host();
    let plugin = host
        .load_with_manifest(
            dist("misbehaving"),
            &misbehaving_manifest(behaviour, manifest_extra),
        )
        .expect("load misbehaving.wasm");
    let mut s = session(&plugin);
    s.on_event(Event::CallStarted(call_info()))
        .expect("call-started is harmless");
    let fault = s
        .on_event(Event::Answered)
        .expect_err("answered must fault");
    assert_eq!(fault.kind, expected, "{fault}");
    println!("{behaviour}: {fault}");
    assert_eq!(s.fault(), Some(expected));
    let again = s.on_event(Event::Dtmf('1')).expect_err("poisoned");
    assert_eq!(again.kind, FaultKind::Poisoned);
    let counts = host.fault_counts();
    assert_eq!(counts.total, 1, "{counts:?}");
    assert_eq!(counts.by_plugin["misbehaving"][&expected], 1);
    assert_echo_works(&host);
    fault.detail
}

#[test]
fn infinite_loop_is_stopped_at_the_time_budget() {
    let detail = answered_fault("infinite-loop", FaultKind::Timeout);
    assert!(detail.contains("budget of 100 ms"), "{detail}");
}

#[test]
fn memory_bomb_hits_the_memory_cap() {
    // A generous time budget, so that on a loaded machine the memory cap, not the clock, is
    // what stops the bomb.
    let limits = "kv_namespace = \"echo\"\n[limits]\ncallback_ms = 20000";
    let detail = answered_fault_with("memory-bomb", FaultKind::MemoryLimit, limits);
    assert!(detail.contains("memory limit"), "{detail}");
}

#[test]
fn trap_reports_the_panic_message() {
    let detail = answered_fault("trap", FaultKind::Trap);
    assert!(
        detail.contains("misbehaving plugin: deliberate trap"),
        "{detail}"
    );
}

#[test]
fn forbidden_host_is_refused() {
    let detail = answered_fault("forbidden-host", FaultKind::CapabilityRefused);
    assert!(detail.contains("forbidden.invalid"), "{detail}");
}

#[test]
fn ten_thousand_actions_are_refused() {
    let host = host();
    let plugin = misbehaving(&host, "many-actions");
    let mut s = session(&plugin);
    let fault = s
        .on_event(Event::CallStarted(call_info()))
        .expect_err("too many");
    assert_eq!(fault.kind, FaultKind::TooManyActions);
    assert!(fault.detail.contains("10000 actions"), "{}", fault.detail);
    assert_eq!(host.fault_counts().total, 1);
    assert_echo_works(&host);
}

#[test]
fn huge_log_line_is_cut_and_is_not_a_fault() {
    let host = host();
    let plugin = misbehaving(&host, "huge-log");
    let mut s = session(&plugin);
    let actions = s
        .on_event(Event::Answered)
        .expect("a long log line is not a fault");
    assert!(
        actions.iter().any(|a| matches!(a, Action::Play(_))),
        "{actions:?}"
    );
    let line = s
        .log_lines()
        .find(|l| l.message.starts_with("xxxx"))
        .expect("the log line");
    assert!(line.message.len() < 4096 + 64, "{}", line.message.len());
    assert!(
        line.message
            .ends_with(&format!("[cut {} bytes]", (1 << 20) - 4096))
    );
    assert_eq!(host.fault_counts().total, 0);
}
