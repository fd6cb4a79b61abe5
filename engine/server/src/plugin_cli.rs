//! `voxgate plugin new|build`: a ready plugin crate for script developers, and its build.
//!
//! `new` writes a crate that depends on the guest SDK (`sdk/rust`) and, for its test, on the
//! testkit (`sdk/testkit`), found beside this binary's source tree or given with `--sdk`.
//! Its test builds the component and plays a call through it. `build` compiles for
//! `wasm32-wasip2` and puts `NAME.wasm` beside a copy of the manifest in `dist/`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The plugin kinds a template exists for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Reacts to call events with actions.
    Dialogue,
    /// Fetches customer fields before a call and pushes the record after it.
    CrmSync,
    /// Grades a finished call.
    Analysis,
}

/// Write the crate `dir/NAME`.
pub fn new(name: &str, kind: Kind, dir: &Path, sdk_root: &Path) -> Result<PathBuf, String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase());
    if !valid {
        return Err(format!(
            "`{name}` is not a valid plugin name: use lower-case letters, digits and dashes, starting with a letter"
        ));
    }
    let sdk = sdk_root.join("sdk/rust");
    let testkit = sdk_root.join("sdk/testkit");
    for needed in [&sdk, &testkit] {
        if !needed.join("Cargo.toml").is_file() {
            return Err(format!(
                "{} not found: pass --sdk with the voxgate source tree",
                needed.display()
            ));
        }
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(format!("{} already exists", root.display()));
    }
    let crate_name = name.replace('-', "_");
    let (source, test, kind_name) = match kind {
        Kind::Dialogue => (DIALOGUE_LIB, DIALOGUE_TEST, "dialogue"),
        Kind::CrmSync => (CRM_LIB, CRM_TEST, "crm-sync"),
        Kind::Analysis => (ANALYSIS_LIB, ANALYSIS_TEST, "analysis"),
    };
    let fill = |text: &str| {
        text.replace("{name}", name)
            .replace("{crate}", &crate_name)
            .replace("{kind}", kind_name)
            .replace("{sdk}", &sdk.display().to_string())
            .replace("{testkit}", &testkit.display().to_string())
    };
    let files = [
        ("Cargo.toml", fill(CARGO_TOML)),
        ("plugin.toml", fill(MANIFEST)),
        ("src/lib.rs", fill(source)),
        ("tests/plugin.rs", fill(&format!("{test}\n{LOAD_PLUGIN}"))),
        ("README.md", fill(README)),
        (".gitignore", "/target\n/dist\n".to_owned()),
    ];
    for (path, text) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(root)
}

/// Build the crate at `dir` for wasm32-wasip2 (release) and copy the component and its
/// manifest to `dir/dist/`; returns the `.wasm` path.
pub fn build(dir: &Path) -> Result<PathBuf, String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("{}: {e} (run inside a plugin crate)", manifest.display()))?;
    let name = text
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("package")?.get("name")?.as_str().map(str::to_owned))
        .ok_or_else(|| format!("{}: no [package] name", manifest.display()))?;
    let status = Command::new("cargo")
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build failed ({status}); if the target is missing: rustup target add wasm32-wasip2"
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    let file = name.replace('-', "_");
    let built = target.join(format!("wasm32-wasip2/release/{file}.wasm"));
    let dist = dir.join("dist");
    std::fs::create_dir_all(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let wasm = dist.join(format!("{name}.wasm"));
    std::fs::copy(&built, &wasm).map_err(|e| format!("{}: {e}", built.display()))?;
    std::fs::copy(dir.join("plugin.toml"), wasm.with_extension("toml"))
        .map_err(|e| format!("plugin.toml: {e}"))?;
    Ok(wasm)
}

/// The loader every template test ends with: build the component, load it with its manifest.
const LOAD_PLUGIN: &str = r#"use std::path::{Path, PathBuf};
use std::process::Command;

use voxgate_plugin_testkit::{Testkit, samples};

/// Builds the component (release, wasm32-wasip2) and loads it with plugin.toml.
fn plugin() -> Testkit {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(dir)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the component builds");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("target"));
    let wasm = target.join("wasm32-wasip2/release/{crate}.wasm");
    let manifest = std::fs::read_to_string(dir.join("plugin.toml")).expect("plugin.toml");
    Testkit::load_with_manifest(wasm, &manifest).expect("the plugin loads")
}
"#;

const CARGO_TOML: &str = r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
voxgate-plugin-sdk = { path = "{sdk}" }

[dev-dependencies]
voxgate-plugin-testkit = { path = "{testkit}" }

[profile.release]
opt-level = "s"
lto = true
strip = true
codegen-units = 1

# Tests run the component in wasmtime (through the testkit): optimised dependencies keep them fast.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
opt-level = 1
debug = false

# A plugin is its own workspace.
[workspace]
"#;

const MANIFEST: &str = r#"# The manifest voxgate reads beside {name}.wasm.
[plugin]
name = "{name}"
kind = "{kind}"
version = "0.1.0"

[capabilities]
# Hosts this plugin may call through HTTP actions ("host" or "host:port").
http_allow = []
# kv_namespace = "{name}"
full_numbers = false

[limits]
memory_mb = 16
callback_ms = 50

[config]
"#;

const README: &str = r#"# {name}

A voxgate {kind} plugin.

    voxgate plugin build            # builds dist/{name}.wasm and dist/{name}.toml
    cargo test                      # builds the component and plays a call through it

Use it from a route in voxgate.toml:

    [[route]]
    name = "{name}"
    number = "2000"
    plugin = "path/to/{name}/dist/{name}.wasm"
"#;

const DIALOGUE_LIB: &str = r#"//! {name}: asks one question; "yes" (or 1) is a lead, anything else a polite goodbye.

use voxgate_plugin_sdk::dialogue::{Actions, Dialogue, Digits, Transcript, Utterance};
use voxgate_plugin_sdk::export_dialogue;

#[derive(Default)]
struct Bot {
    retries: u32,
}

impl Bot {
    fn answer(&mut self, yes: bool, out: &mut Actions) {
        if yes {
            out.tag("interested").add_score(10).set_level("A");
            out.hang_up_with(vec![voxgate_plugin_sdk::dialogue::PromptPart::Tts(
                "Thank you, an advisor will call you back.".into(),
            )]);
        } else {
            out.set_level("E");
            out.hang_up_with(vec![voxgate_plugin_sdk::dialogue::PromptPart::Tts(
                "Thank you for your time. Goodbye.".into(),
            )]);
        }
    }
}

impl Dialogue for Bot {
    fn on_answered(&mut self, out: &mut Actions) {
        out.say("Hello ${name}. Would you like to hear about our offer? Say yes, or press 1.")
            .collect_digits(1, None, 8000);
    }

    fn on_digits(&mut self, digits: &Digits, out: &mut Actions) {
        if digits.digits.is_empty() {
            return self.on_no_input(out);
        }
        self.answer(digits.digits == "1", out);
    }

    fn on_utterance(&mut self, utterance: &Utterance, out: &mut Actions) {
        let yes = match &utterance.transcript {
            Transcript::Recognized(r) => r.text.to_lowercase().contains("yes"),
            _ => false,
        };
        self.answer(yes, out);
    }

    fn on_no_input(&mut self, out: &mut Actions) {
        self.retries += 1;
        if self.retries > 1 {
            out.set_level("F").hang_up();
        } else {
            out.say("Sorry, I did not hear you. Say yes, or press 1.")
                .collect_digits(1, None, 8000);
        }
    }
}

export_dialogue!(Bot);
"#;

const DIALOGUE_TEST: &str = r#"//! Plays calls through the built component.

use voxgate_plugin_testkit::dialogue::CollectEnd;

#[test]
fn yes_is_a_lead_and_silence_twice_ends_the_call() {
    let mut kit = plugin();
    let mut call = kit.dialogue().expect("session");
    call.start(samples::call_info()).expect("started");
    call.answered().expect("answered");
    call.digits("1", CollectEnd::MaxDigits).expect("digits");
    assert_eq!(call.level(), Some("A"));
    assert_eq!(call.tags(), ["interested"]);
    assert!(call.ended());

    let mut call = kit.dialogue().expect("session");
    call.start(samples::call_info()).expect("started");
    call.answered().expect("answered");
    call.silence().expect("first silence");
    assert!(!call.ended());
    call.silence().expect("second silence");
    assert_eq!(call.level(), Some("F"));
    assert!(call.ended());
}
"#;

const CRM_LIB: &str = r#"//! {name}: gives every call a `customer_tier` field and accepts every finished record.

use voxgate_plugin_sdk::crm::{CrmActions, CrmSync};
use voxgate_plugin_sdk::export_crm_sync;
use voxgate_plugin_sdk::types::{CallInfo, CallSummary, Pair};

#[derive(Default)]
struct Crm;

impl CrmSync for Crm {
    fn on_lookup(&mut self, _call: &CallInfo, out: &mut CrmActions) {
        out.fields(vec![Pair {
            name: "customer_tier".into(),
            value: "standard".into(),
        }])
        .done(true);
    }

    fn on_call_finished(&mut self, _summary: &CallSummary, out: &mut CrmActions) {
        out.done(true);
    }
}

export_crm_sync!(Crm);
"#;

const CRM_TEST: &str = r#"//! Looks a customer up through the built component.

#[test]
fn lookup_returns_the_tier() {
    let mut kit = plugin();
    let mut crm = kit.crm().expect("session");
    crm.lookup(samples::call_info()).expect("lookup");
    assert!(crm.fields().iter().any(|f| f.name == "customer_tier"));
    assert_eq!(crm.done(), Some(true));
}
"#;

const ANALYSIS_LIB: &str = r#"//! {name}: a call under 10 seconds is invalid; otherwise the dialogue's level stands.

use voxgate_plugin_sdk::analysis::{Analysis, AnalysisActions, AnalysisInput, Report};
use voxgate_plugin_sdk::export_analysis;

#[derive(Default)]
struct Grader;

impl Analysis for Grader {
    fn on_call_finished(&mut self, input: &AnalysisInput, out: &mut AnalysisActions) {
        let mut report = Report::empty();
        report.summary = format!("{} turns", input.transcript.len());
        if input.call.talk_ms < 10_000 {
            report.invalid = true;
            report.invalid_reason = Some("talk time under 10 s".into());
        }
        out.report(report);
    }
}

export_analysis!(Grader);
"#;

const ANALYSIS_TEST: &str = r#"//! Grades a short call through the built component.

use voxgate_plugin_testkit::analysis::AnalysisInput;

#[test]
fn a_short_call_is_invalid() {
    let mut kit = plugin();
    let mut job = kit.analysis().expect("session");
    let mut input = AnalysisInput {
        call: samples::call_summary(),
        transcript: Vec::new(),
    };
    input.call.talk_ms = 3_000;
    job.call_finished(input).expect("analysed");
    assert!(job.report().expect("a report").invalid);
}
"#;
