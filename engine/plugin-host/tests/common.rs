//! Helpers shared by the plugin-host integration tests: where the built plugins are, a small
//! host, and manifest variants of the `misbehaving` plugin.

#![allow(dead_code)] // Each test file uses a different subset.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use voxgate_plugin_host::dialogue::{Action, Event, PromptPart};
use voxgate_plugin_host::types::{CallInfo, Direction, Pair};
use voxgate_plugin_host::{
    DialogueSession, HostClock, HostConfig, Plugin, PluginHost, SessionContext,
};

/// `<repo>/plugins/dist/NAME.wasm`; panics with the fix when `plugins/build` has not run.
pub fn dist(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/dist")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run plugins/build first",
        path.display()
    );
    path
}

/// The `misbehaving` manifest with `behaviour` set and `extra` TOML lines appended to
/// `[capabilities]` (replacing the kv namespace line when `extra` sets one).
pub fn misbehaving_manifest(behaviour: &str, capabilities: &str) -> String {
    format!(
        "[plugin]\nname = \"misbehaving\"\nkind = \"dialogue\"\nversion = \"0.1.0\"\n\
         [capabilities]\n{capabilities}\n[config]\nbehaviour = \"{behaviour}\"\n"
    )
}

/// A host sized for tests.
pub fn host() -> PluginHost {
    PluginHost::new(HostConfig {
        max_instances: 16,
        ..HostConfig::default()
    })
    .expect("plugin host")
}

/// `misbehaving.wasm` doing `behaviour`, with the kv namespace `echo`.
pub fn misbehaving(host: &PluginHost, behaviour: &str) -> Arc<Plugin> {
    host.load_with_manifest(
        dist("misbehaving"),
        &misbehaving_manifest(behaviour, "kv_namespace = \"echo\""),
    )
    .expect("load misbehaving.wasm")
}

/// A clock the test sets.
#[derive(Debug, Default)]
pub struct TestClock(pub AtomicU64);

impl HostClock for TestClock {
    fn now_unix_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A session on a fixed clock (1_700_000_000_000) with seed 7.
pub fn session(plugin: &Arc<Plugin>) -> DialogueSession {
    DialogueSession::new(
        plugin,
        SessionContext {
            label: "test-call".to_owned(),
            clock: Arc::new(TestClock(AtomicU64::new(1_700_000_000_000))),
            seed: 7,
        },
    )
    .expect("session")
}

/// A sample outbound call to 13812345678.
pub fn call_info() -> CallInfo {
    CallInfo {
        call_id: "c1".to_owned(),
        direction: Direction::Outbound,
        campaign: Some("camp".to_owned()),
        route: None,
        trunk: None,
        callee: "13812345678".to_owned(),
        caller: "4000123456".to_owned(),
        variables: vec![Pair {
            name: "name".to_owned(),
            value: "Alex".to_owned(),
        }],
        flow: None,
    }
}

/// The tags among `actions`.
pub fn tags(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Tag(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// Asserts that a fresh echo session on `host` answers normally (the host survived).
pub fn assert_echo_works(host: &PluginHost) {
    let echo = misbehaving(host, "echo");
    let mut s = session(&echo);
    s.on_event(Event::CallStarted(call_info()))
        .expect("echo call-started");
    let actions = s.on_event(Event::Answered).expect("echo answered");
    assert!(
        actions.iter().any(|a| matches!(a, Action::Play(p)
            if matches!(p.parts.as_slice(), [PromptPart::File(f)] if f == "hello"))),
        "echo did not play hello: {actions:?}"
    );
    let actions = s.on_event(Event::Dtmf('d')).expect("echo dtmf");
    assert!(
        tags(&actions).contains(&"digit-d".to_owned()),
        "{actions:?}"
    );
}
