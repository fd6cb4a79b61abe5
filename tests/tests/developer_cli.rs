//! The script developer's command line: `voxgate simulate` replaying a session from a file,
//! `voxgate check` on flow files, and `voxgate plugin new` + `plugin build` making a crate whose
//! component loads and behaves, and whose own test passes.

use std::path::Path;
use std::process::{Command, Output};

use voxgate_plugin_testkit::Testkit;
use voxgate_plugin_testkit::dialogue::CollectEnd;
use voxgate_plugin_testkit::samples;
use voxgate_tests::{TempDir, example_flow, plugin_wasm, voxgate_bin};

fn voxgate(args: &[&str]) -> Output {
    Command::new(voxgate_bin())
        .args(args)
        .output()
        .expect("voxgate runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn simulate(flow: &str, script: &str, dir: &TempDir) -> Output {
    let file = dir.join("session.txt");
    std::fs::write(&file, script).expect("script");
    let flow = example_flow(flow);
    let plugin = plugin_wasm("flow");
    voxgate(&[
        "simulate",
        "--plugin",
        plugin.to_str().unwrap(),
        "--flow",
        flow.to_str().unwrap(),
        "--var",
        "name=Ann",
        "--script",
        file.to_str().unwrap(),
    ])
}

#[test]
fn simulate_replays_a_dtmf_session() {
    let dir = TempDir::new("simulate-dtmf").expect("temp dir");
    let out = simulate("dtmf-survey.toml", "#1\n", &dir);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("callee> #1"), "{log}");
    assert!(log.contains("tag +interested"), "{log}");
    assert!(log.contains("= call ended: level A | score 10"), "{log}");

    let out = simulate("dtmf-survey.toml", "\n\n\n", &dir);
    let log = text(&out);
    assert!(
        log.contains("= call ended: level F"),
        "silence twice ends at F: {log}"
    );
}

#[test]
fn simulate_replays_a_spoken_session() {
    let dir = TempDir::new("simulate-en").expect("temp dir");
    let out = simulate(
        "insurance-en.toml",
        "yes go ahead\nyes speaking\nno we don't have any\nyes please\n",
        &dir,
    );
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Am I speaking with ${name}?") || log.contains("Am I speaking with Ann?"),
        "{log}"
    );
    assert!(log.contains("tag +identity-confirmed"), "{log}");
    assert!(log.contains("round at node"), "{log}");
    assert!(log.contains("= call ended: level"), "{log}");
}

#[test]
fn check_reports_flow_errors_with_line_and_column() {
    let dir = TempDir::new("check-flow").expect("temp dir");
    let good = voxgate(&["check", example_flow("insurance-zh.toml").to_str().unwrap()]);
    assert!(good.status.success(), "{}", text(&good));
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[flow]\nname = \"x\"\nstart = \"nowhere\"\nfallback = \"bye\"\n\n[[node]]\nname = \"bye\"\nkind = \"end\"\nprompts = [{ text = \"Bye.\" }]\n",
    )
    .expect("write");
    let out = voxgate(&["check", bad.to_str().unwrap()]);
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(
        log.contains(&format!("{}:3:", bad.display())),
        "points at the start line: {log}"
    );
    assert!(log.contains("nowhere"), "{log}");
}

#[test]
fn plugin_new_makes_a_crate_that_builds_behaves_and_passes_its_test() {
    let dir = TempDir::new("plugin-new").expect("temp dir");
    let out = voxgate(&[
        "plugin",
        "new",
        "hello-bot",
        "--kind",
        "dialogue",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let krate = dir.join("hello-bot");
    // Share the workspace's dependency versions and build directory, so the template's test
    // compiles only what it does not share.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("lock file");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let out = Command::new(voxgate_bin())
        .args(["plugin", "build"])
        .arg(&krate)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("voxgate plugin build");
    assert!(out.status.success(), "{}", text(&out));
    let wasm = krate.join("dist/hello-bot.wasm");
    assert!(wasm.with_extension("toml").is_file());

    let mut kit = Testkit::load(&wasm).expect("the built plugin loads");
    let mut call = kit.dialogue().expect("session");
    call.start(samples::call_info()).expect("start");
    call.answered().expect("answered");
    call.digits("1", CollectEnd::MaxDigits).expect("digits");
    assert_eq!(call.level(), Some("A"));

    // The template optimises dependencies for a developer who runs the test again and again;
    // for this one run, unoptimised dependencies compile in about half the time on a 2-core machine.
    let out = Command::new(env!("CARGO"))
        .args([
            "test",
            "--quiet",
            "--config",
            "profile.dev.package.\"*\".opt-level=0",
        ])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo test in the new crate");
    assert!(
        out.status.success(),
        "the template's own test: {}",
        text(&out)
    );
}
