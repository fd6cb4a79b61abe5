//! Test harness for voxgate plugins, for a plugin's own `cargo test` and for voxgate's tests:
//! load the built `.wasm` (manifest beside it), feed events on a fake clock with a fixed seed,
//! and assert the actions.
//!
//! ```no_run
//! use voxgate_plugin_testkit::{Testkit, samples};
//! use voxgate_plugin_testkit::dialogue::{Action, PromptPart};
//!
//! let mut kit = Testkit::load("plugins/dist/flow.wasm")?;
//! let mut call = kit.dialogue()?;
//! call.start(samples::call_info())?;
//! let actions = call.answered()?;
//! assert!(actions.iter().any(|a| matches!(a, Action::Play(_))));
//! call.say("yes, tell me more")?;
//! call.advance(5_000)?; // fires the plugin's timers that fall due
//! assert!(call.score() >= 0);
//! println!("tags {:?}, level {:?}", call.tags(), call.level());
//! # let _ = PromptPart::Tts(String::new());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clock;
mod dialogue_harness;
mod jobs;
pub mod samples;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use clock::{DEFAULT_START_MS, FakeClock};
pub use dialogue_harness::{DialogueHarness, Turn};
pub use jobs::{AnalysisHarness, CrmHarness};
pub use voxgate_plugin_host::{
    Fault, FaultKind, Plugin, PluginError, PluginHost, analysis, crm, dialogue, types,
};

use voxgate_plugin_host::{
    AnalysisSession, CrmSession, DialogueSession, HostConfig, SessionContext,
};

/// The seed sessions get unless [`Testkit::with_seed`] says otherwise.
pub const DEFAULT_SEED: u64 = 42;

/// A loaded plugin, a fake clock and a seed; makes harnesses.
pub struct Testkit {
    host: PluginHost,
    plugin: Arc<Plugin>,
    clock: Arc<FakeClock>,
    seed: u64,
    sessions: u64,
}

impl Testkit {
    /// Loads `wasm` with the manifest beside it (`NAME.toml`).
    pub fn load(wasm: impl AsRef<Path>) -> Result<Testkit, PluginError> {
        let host = test_host()?;
        let plugin = host.plugin(wasm)?;
        Ok(Testkit::with_plugin(host, plugin))
    }

    /// Loads `wasm` with a manifest given as TOML text (to vary `[config]` per test).
    pub fn load_with_manifest(
        wasm: impl AsRef<Path>,
        manifest_toml: &str,
    ) -> Result<Testkit, PluginError> {
        let host = test_host()?;
        let plugin = host.load_with_manifest(wasm, manifest_toml)?;
        Ok(Testkit::with_plugin(host, plugin))
    }

    /// A testkit over a plugin already loaded by `host`.
    pub fn with_plugin(host: PluginHost, plugin: Arc<Plugin>) -> Testkit {
        Testkit {
            host,
            plugin,
            clock: Arc::new(FakeClock::default()),
            seed: DEFAULT_SEED,
            sessions: 0,
        }
    }

    /// Sets the seed of the next sessions' random numbers.
    pub fn with_seed(mut self, seed: u64) -> Testkit {
        self.seed = seed;
        self
    }

    /// The fake clock every session of this testkit reads.
    pub fn clock(&self) -> &Arc<FakeClock> {
        &self.clock
    }

    /// The host (fault counters, key-value store).
    pub fn host(&self) -> &PluginHost {
        &self.host
    }

    /// The loaded plugin.
    pub fn plugin(&self) -> &Arc<Plugin> {
        &self.plugin
    }

    fn context(&mut self) -> SessionContext {
        self.sessions += 1;
        SessionContext {
            label: format!("test-{}", self.sessions),
            clock: self.clock.clone(),
            seed: self.seed,
        }
    }

    /// A fresh dialogue session (a new call).
    pub fn dialogue(&mut self) -> Result<DialogueHarness, PluginError> {
        let ctx = self.context();
        let session = DialogueSession::new(&self.plugin, ctx)?;
        Ok(DialogueHarness::new(session, self.clock.clone()))
    }

    /// A fresh CRM-sync session.
    pub fn crm(&mut self) -> Result<CrmHarness, PluginError> {
        let ctx = self.context();
        Ok(CrmHarness::new(CrmSession::new(&self.plugin, ctx)?))
    }

    /// A fresh analysis session.
    pub fn analysis(&mut self) -> Result<AnalysisHarness, PluginError> {
        let ctx = self.context();
        Ok(AnalysisHarness::new(AnalysisSession::new(
            &self.plugin,
            ctx,
        )?))
    }
}

/// A small host with a compile cache shared by test runs (`$TMPDIR/voxgate-plugin-cache`), so
/// only the first test of a build compiles the plugin.
fn test_host() -> Result<PluginHost, PluginError> {
    PluginHost::new(HostConfig {
        max_instances: 32,
        cache_dir: Some(cache_dir()),
        ..HostConfig::default()
    })
}

fn cache_dir() -> PathBuf {
    std::env::temp_dir().join("voxgate-plugin-cache")
}
