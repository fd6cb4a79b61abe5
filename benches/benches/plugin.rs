//! Plugin host: event round trip of the `echo` behaviour of `plugins/dist/misbehaving.wasm`
//! (dtmf event -> actions), per-call instantiation (session creation), and linear memory per
//! instance (printed); and the stock flow plugin with the English example flow: a call's start
//! (instantiate, parse the flow, answer) and one spoken turn. Needs `plugins/build` first.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use voxgate_plugin_host::dialogue::Event;
use voxgate_plugin_host::types::CallInfo;
use voxgate_plugin_host::{DialogueSession, HostConfig, Plugin, PluginHost, SessionContext};
use voxgate_plugin_testkit::samples::call_info;

fn echo_plugin(host: &PluginHost) -> Arc<Plugin> {
    let wasm = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/dist/misbehaving.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run plugins/build first",
        wasm.display()
    );
    let manifest = "[plugin]\nname = \"echo\"\nkind = \"dialogue\"\n[capabilities]\n\
                    kv_namespace = \"echo\"\n[config]\nbehaviour = \"echo\"\n";
    host.load_with_manifest(wasm, manifest).expect("load echo")
}

/// The process's virtual memory size (`VmSize` in /proc/self/status), 0 where there is none.
fn vm_size_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmSize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn plugin(c: &mut Criterion) {
    let before = vm_size_kib();
    let host = PluginHost::new(HostConfig::default()).expect("host");
    println!(
        "plugin/host_address_space: {} MiB reserved for {} instance slots",
        (vm_size_kib() - before) / 1024,
        host.config().max_instances
    );
    let echo = echo_plugin(&host);

    let mut session = DialogueSession::new(&echo, SessionContext::new("bench", 1)).unwrap();
    session.on_event(Event::CallStarted(call_info())).unwrap();
    println!(
        "plugin/memory_per_instance: {} KiB of linear memory after call-started",
        session.memory_bytes() / 1024
    );
    c.bench_function("plugin/dtmf_round_trip", |b| {
        b.iter(|| black_box(session.on_event(black_box(Event::Dtmf('d'))).unwrap()))
    });
    c.bench_function("plugin/instantiate_session", |b| {
        b.iter(|| black_box(DialogueSession::new(&echo, SessionContext::new("bench", 1)).unwrap()))
    });
    c.bench_function("plugin/instantiate_and_call_started", |b| {
        b.iter(|| {
            let mut s = DialogueSession::new(&echo, SessionContext::new("bench", 1)).unwrap();
            black_box(s.on_event(Event::CallStarted(call_info())).unwrap())
        })
    });
}

fn flow(c: &mut Criterion) {
    let host = PluginHost::new(HostConfig::default()).expect("host");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let flow = host
        .plugin(root.join("plugins/dist/flow.wasm"))
        .expect("load flow (run plugins/build)");
    let text = std::fs::read_to_string(root.join("examples/flows/insurance-en.toml")).unwrap();
    let info = CallInfo {
        flow: Some(text),
        ..call_info()
    };
    let start = || {
        let mut s = DialogueSession::new(&flow, SessionContext::new("bench", 1)).unwrap();
        s.on_event(Event::CallStarted(info.clone())).unwrap();
        s.on_event(Event::Answered).unwrap();
        s
    };
    let session = start();
    println!(
        "plugin/flow_memory_per_instance: {} KiB of linear memory after answer",
        session.memory_bytes() / 1024
    );
    c.bench_function("plugin/flow_call_start", |b| b.iter(|| black_box(start())));
    c.bench_function("plugin/flow_spoken_turn", |b| {
        b.iter_batched(
            start,
            |mut s| {
                let said = voxgate_plugin_host::dialogue::Utterance {
                    transcript: voxgate_plugin_host::dialogue::Transcript::Recognized(
                        voxgate_plugin_host::dialogue::Recognized {
                            text: "yes sure go ahead".into(),
                            confidence: 0.9,
                        },
                    ),
                    duration_ms: 900,
                    barged_in: false,
                };
                black_box(s.on_event(Event::Utterance(said)).unwrap())
            },
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, plugin, flow);
criterion_main!(benches);
