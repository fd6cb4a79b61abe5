//! Loading: version check, world check, bad files, manifest errors, compile cache, hot reload.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use voxgate_plugin_host::dialogue::Event;
use voxgate_plugin_host::{HostConfig, PluginError, PluginHost};

fn temp_plugin(dir: &Path, name: &str, manifest: &str) -> std::path::PathBuf {
    let wasm = dir.join(format!("{name}.wasm"));
    fs::copy(dist("misbehaving"), &wasm).unwrap();
    fs::write(dir.join(format!("{name}.toml")), manifest).unwrap();
    wasm
}

#[test]
fn future_major_version_is_refused_with_what_to_rebuild() {
    let host = host();
    let path = dist("future-major");
    let err = host.plugin(&path).expect_err("must refuse");
    assert!(
        matches!(err, PluginError::IncompatibleVersion(_)),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{} was built against voxgate:plugin@1.0.0 but this engine provides 0.1.0",
            path.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("rebuild it with voxgate-plugin-sdk 0.1.x (`voxgate plugin build`)"),
        "{text}"
    );
}

#[test]
fn current_plugin_reports_its_interface_version() {
    let host = host();
    let plugin = host.plugin(dist("misbehaving")).unwrap();
    assert_eq!(
        plugin.interface_version().map(|v| v.to_string()).as_deref(),
        Some("0.1.0")
    );
    assert_eq!(plugin.name(), "misbehaving");
}

#[test]
fn manifest_kind_must_match_the_world() {
    let host = host();
    let manifest = misbehaving_manifest("echo", "").replace("\"dialogue\"", "\"analysis\"");
    let err = host
        .load_with_manifest(dist("misbehaving"), &manifest)
        .unwrap_err();
    assert!(matches!(err, PluginError::WrongKind(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("kind = \"analysis\" but the component implements the `dialogue` world"),
        "{text}"
    );
}

#[test]
fn bad_files_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();

    let core = dir.path().join("core.wasm");
    fs::write(&core, b"\0asm\x01\0\0\0").unwrap();
    fs::write(
        dir.path().join("core.toml"),
        misbehaving_manifest("echo", ""),
    )
    .unwrap();
    let err = host.plugin(&core).unwrap_err().to_string();
    assert!(
        err.contains("core WebAssembly module, not a component"),
        "{err}"
    );

    let junk = dir.path().join("junk.wasm");
    fs::write(&junk, b"hello").unwrap();
    fs::write(
        dir.path().join("junk.toml"),
        misbehaving_manifest("echo", ""),
    )
    .unwrap();
    let err = host.plugin(&junk).unwrap_err().to_string();
    assert!(err.contains("not a WebAssembly file"), "{err}");

    let lonely = dir.path().join("lonely.wasm");
    fs::copy(dist("misbehaving"), &lonely).unwrap();
    let err = host.plugin(&lonely).unwrap_err().to_string();
    assert!(
        err.contains("lonely.toml: cannot read the plugin manifest"),
        "{err}"
    );

    let bad = temp_plugin(
        dir.path(),
        "bad",
        "[plugin]\nname = \"bad\"\nkind = dialogue\n",
    );
    let err = host.plugin(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.toml:3:8: "), "{err}");
}

#[test]
fn second_host_loads_from_the_compile_cache() {
    let cache = tempfile::tempdir().unwrap();
    let config = || HostConfig {
        max_instances: 4,
        cache_dir: Some(cache.path().to_owned()),
        ..HostConfig::default()
    };
    let first = PluginHost::new(config()).unwrap();
    let plugin = first.plugin(dist("misbehaving")).unwrap();
    assert!(!plugin.load_info().from_cache);
    let second = PluginHost::new(config()).unwrap();
    let cached = second.plugin(dist("misbehaving")).unwrap();
    assert!(cached.load_info().from_cache);
    // The cached code runs.
    let mut s = session(&cached);
    s.on_event(Event::Answered).unwrap();
}

#[test]
fn replaced_plugin_serves_new_calls_while_old_calls_finish_on_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let v1 = misbehaving_manifest("echo", "kv_namespace = \"echo\"");
    let wasm = temp_plugin(dir.path(), "echo", &v1);
    let old = host.plugin(&wasm).unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&old, &host.plugin(&wasm).unwrap()),
        "no change, no reload"
    );
    let mut old_call = session(&old);

    // Version 2: no kv namespace, so `answered` tags `kv-error` instead of `kv-N`.
    let v2 = misbehaving_manifest("echo", "").replace("0.1.0", "0.2.0");
    fs::write(dir.path().join("echo.toml"), v2).unwrap();
    let new = host.plugin(&wasm).unwrap();
    assert_eq!(new.manifest().version, "0.2.0");
    let mut new_call = session(&new);
    assert!(tags(&new_call.on_event(Event::Answered).unwrap()).contains(&"kv-error".to_owned()));
    assert!(tags(&old_call.on_event(Event::Answered).unwrap()).contains(&"kv-1".to_owned()));

    // A half-written file: keep serving version 2.
    fs::write(&wasm, b"\0asm\x0d\0\x01\0 truncated").unwrap();
    let still = host.plugin(&wasm).unwrap();
    assert_eq!(still.manifest().version, "0.2.0");
    assert!(std::sync::Arc::ptr_eq(&still, &host.plugin(&wasm).unwrap()));

    // The file is whole again: reloads.
    fs::copy(dist("misbehaving"), &wasm).unwrap();
    let again = host.plugin(&wasm).unwrap();
    assert!(!std::sync::Arc::ptr_eq(&again, &still));
}

#[test]
fn the_instance_pool_is_sized_by_max_instances() {
    let host = PluginHost::new(HostConfig {
        max_instances: 2,
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = misbehaving(&host, "echo");
    let first = session(&plugin);
    let second = session(&plugin);
    let err = voxgate_plugin_host::DialogueSession::new(
        &plugin,
        voxgate_plugin_host::SessionContext::new("third", 3),
    )
    .err()
    .expect("the pool is full");
    assert!(matches!(err, PluginError::Instantiate { .. }), "{err:?}");
    drop(first);
    let mut third = session(&plugin);
    third.on_event(Event::Answered).unwrap();
    drop(second);
}

#[test]
fn host_plugins_and_sessions_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<PluginHost>();
    send_sync::<std::sync::Arc<voxgate_plugin_host::Plugin>>();
    send::<voxgate_plugin_host::DialogueSession>();
    send::<voxgate_plugin_host::CrmSession>();
    send::<voxgate_plugin_host::AnalysisSession>();
}
