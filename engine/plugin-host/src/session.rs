//! Sessions: one `Store` and instance per call (dialogue) or job (CRM sync, analysis). Each
//! callback runs under the plugin's time budget and memory cap; its actions are validated; any
//! fault poisons the instance (wasmtime cannot re-enter a trapped instance).

use std::sync::Arc;

use wasmtime::{Store, Trap};

use crate::bindings::analysis_world::Analysis;
use crate::bindings::analysis_world::voxgate::plugin::analysis_types::{
    AnalysisAction, AnalysisEvent,
};
use crate::bindings::crm_world::CrmSync;
use crate::bindings::crm_world::voxgate::plugin::crm_types::{CrmAction, CrmEvent};
use crate::bindings::dialogue_world::Dialogue;
use crate::bindings::dialogue_world::voxgate::plugin::dialogue_types::{Action, Event};
use crate::bindings::dialogue_world::voxgate::plugin::types::{CallInfo, LogEntry};
use crate::clock::{HostClock, SystemClock};
use crate::error::{Fault, FaultKind, PluginError};
use crate::manifest::{Manifest, PluginKind};
use crate::mask::mask_number;
use crate::plugin::{Plugin, PluginPre};
use crate::state::{LogLine, SessionState};
use crate::validate;

/// Who a session is for and what time and randomness it sees.
#[derive(Clone)]
pub struct SessionContext {
    /// A label for logs, e.g. the SIP Call-ID or the job id.
    pub label: String,
    /// The wall clock (`host.now-ms`, WASI clocks).
    pub clock: Arc<dyn HostClock>,
    /// Seed of `host.random-u64` and WASI random.
    pub seed: u64,
}

impl SessionContext {
    /// A context on the system clock.
    pub fn new(label: impl Into<String>, seed: u64) -> Self {
        SessionContext {
            label: label.into(),
            clock: Arc::new(SystemClock),
            seed,
        }
    }
}

impl std::fmt::Debug for SessionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionContext")
            .field("label", &self.label)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

/// The store and fault state common to the three session kinds.
struct Runner {
    store: Store<SessionState>,
    plugin: Arc<Plugin>,
    poisoned: Option<FaultKind>,
}

impl Runner {
    fn new(plugin: &Arc<Plugin>, ctx: SessionContext) -> Runner {
        let shared = &plugin.shared;
        let state = SessionState::new(
            plugin.manifest.clone(),
            shared.kv.clone(),
            ctx.label,
            ctx.clock,
            ctx.seed,
            plugin.limits.memory_bytes,
            shared.config.log_line_cap,
        );
        let mut store = Store::new(&shared.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_trap();
        Runner {
            store,
            plugin: plugin.clone(),
            poisoned: None,
        }
    }

    fn arm_deadline(&mut self) {
        let ticks = self.plugin.shared.budget_ticks(self.plugin.limits.callback);
        self.store.set_epoch_deadline(ticks);
    }

    /// Instantiates under the time budget (a component's start-up code runs here too).
    fn instantiate<T>(
        &mut self,
        f: impl FnOnce(&mut Store<SessionState>) -> wasmtime::Result<T>,
    ) -> Result<T, PluginError> {
        self.arm_deadline();
        let result = f(&mut self.store);
        let stderr = self.store.data_mut().drain_stdio();
        result.map_err(|e| PluginError::Instantiate {
            plugin: self.plugin.manifest.name.clone(),
            message: describe(&e, stderr.as_deref()),
        })
    }

    fn run<A>(
        &mut self,
        call: impl FnOnce(&mut Store<SessionState>) -> wasmtime::Result<Vec<A>>,
        bytes: fn(&A) -> usize,
        check: fn(&A, &Manifest) -> Result<(), Fault>,
        log_entry: fn(&A) -> Option<&LogEntry>,
    ) -> Result<Vec<A>, Fault> {
        if let Some(kind) = self.poisoned {
            return Err(Fault::new(
                FaultKind::Poisoned,
                format!(
                    "this instance faulted earlier ({kind}) and cannot run again; start a new session"
                ),
            ));
        }
        self.arm_deadline();
        let result = call(&mut self.store);
        let stderr = self.store.data_mut().drain_stdio();
        let fault = match result {
            Ok(actions) => {
                let checked =
                    validate::check_size(&actions, &self.plugin.limits, bytes).and_then(|()| {
                        actions
                            .iter()
                            .try_for_each(|a| check(a, &self.plugin.manifest))
                    });
                match checked {
                    Ok(()) => {
                        let state = self.store.data_mut();
                        for entry in actions.iter().filter_map(log_entry) {
                            state.push_log(entry.level, &entry.message);
                        }
                        return Ok(actions);
                    }
                    Err(fault) => fault,
                }
            }
            Err(e) => self.classify(&e, stderr.as_deref()),
        };
        self.poisoned = Some(fault.kind);
        self.plugin
            .shared
            .record_fault(&self.plugin.manifest.name, fault.kind);
        tracing::warn!(
            plugin = self.plugin.manifest.name.as_str(),
            call = self.store.data().label(),
            kind = fault.kind.as_str(),
            "plugin fault: {}",
            fault.detail
        );
        Err(fault)
    }

    fn classify(&self, e: &wasmtime::Error, stderr: Option<&str>) -> Fault {
        let detail = describe(e, stderr);
        if self.store.data().limiter.hit {
            return Fault::new(FaultKind::MemoryLimit, detail);
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            return Fault::new(
                FaultKind::Timeout,
                format!(
                    "the callback ran past its budget of {} ms",
                    self.plugin.limits.callback.as_millis()
                ),
            );
        }
        Fault::new(FaultKind::Trap, detail)
    }

    fn log_lines(&self) -> impl Iterator<Item = &LogLine> {
        self.store.data().log_lines()
    }
}

/// wasmtime's root cause (the trap or the limit; the wasm backtrace, which names only
/// function indices in a stripped release build, is left out), plus what the guest wrote to
/// stderr (a panic message).
fn describe(e: &wasmtime::Error, stderr: Option<&str>) -> String {
    let mut detail = e.root_cause().to_string();
    if let Some(text) = stderr.map(str::trim).filter(|t| !t.is_empty()) {
        detail.push_str("; guest stderr: ");
        detail.push_str(&crate::state::cut(text, 2048));
    }
    detail
}

fn mask_call(info: &mut CallInfo, manifest: &Manifest) {
    if !manifest.capabilities.full_numbers {
        info.callee = mask_number(&info.callee);
        info.caller = mask_number(&info.caller);
    }
}

fn wrong_kind(plugin: &Plugin, wanted: PluginKind) -> PluginError {
    PluginError::WrongKind(format!(
        "plugin {} is a {} plugin, not {wanted}",
        plugin.manifest.name, plugin.manifest.kind
    ))
}

macro_rules! session_common {
    () => {
        /// The plugin version this session runs (kept across hot reloads).
        pub fn plugin(&self) -> &Arc<Plugin> {
            &self.runner.plugin
        }

        /// Lines the plugin logged so far (`host.log`, `log` actions, stdout, stderr), oldest
        /// first, at most [`MAX_LOG_LINES`](crate::MAX_LOG_LINES).
        pub fn log_lines(&self) -> impl Iterator<Item = &LogLine> {
            self.runner.log_lines()
        }

        /// Linear memory the instance holds now, in bytes.
        pub fn memory_bytes(&self) -> usize {
            self.runner.store.data().limiter.total_bytes
        }

        /// The fault that poisoned this session, if any.
        pub fn fault(&self) -> Option<FaultKind> {
            self.runner.poisoned
        }
    };
}

/// A dialogue plugin driving one call.
pub struct DialogueSession {
    runner: Runner,
    bindings: Dialogue,
}

impl DialogueSession {
    /// A fresh instance of `plugin` for one call.
    pub fn new(plugin: &Arc<Plugin>, ctx: SessionContext) -> Result<Self, PluginError> {
        let PluginPre::Dialogue(pre) = &plugin.pre else {
            return Err(wrong_kind(plugin, PluginKind::Dialogue));
        };
        let mut runner = Runner::new(plugin, ctx);
        let bindings = runner.instantiate(|store| pre.instantiate(store))?;
        Ok(DialogueSession { runner, bindings })
    }

    /// Hands one event to the plugin and returns its validated actions. Call numbers are
    /// masked unless the manifest declares `full_numbers`. `log` actions are already written
    /// to the session log. After a fault every call returns a `Poisoned` fault.
    pub fn on_event(&mut self, mut event: Event) -> Result<Vec<Action>, Fault> {
        if let Event::CallStarted(info) = &mut event {
            mask_call(info, &self.runner.plugin.manifest);
        }
        let bindings = &self.bindings;
        self.runner.run(
            |store| bindings.call_on_event(store, &event),
            validate::dialogue_bytes,
            validate::check_dialogue,
            |a| match a {
                Action::Log(entry) => Some(entry),
                _ => None,
            },
        )
    }

    session_common!();
}

/// A CRM-sync plugin handling one lookup or push.
pub struct CrmSession {
    runner: Runner,
    bindings: CrmSync,
}

impl CrmSession {
    /// A fresh instance of `plugin` for one job.
    pub fn new(plugin: &Arc<Plugin>, ctx: SessionContext) -> Result<Self, PluginError> {
        let PluginPre::CrmSync(pre) = &plugin.pre else {
            return Err(wrong_kind(plugin, PluginKind::CrmSync));
        };
        let mut runner = Runner::new(plugin, ctx);
        let bindings = runner.instantiate(|store| pre.instantiate(store))?;
        Ok(CrmSession { runner, bindings })
    }

    /// Hands one event to the plugin and returns its validated actions (see
    /// [`DialogueSession::on_event`]).
    pub fn on_event(&mut self, mut event: CrmEvent) -> Result<Vec<CrmAction>, Fault> {
        match &mut event {
            CrmEvent::Lookup(info) => mask_call(info, &self.runner.plugin.manifest),
            CrmEvent::CallFinished(summary) => {
                mask_call(&mut summary.call, &self.runner.plugin.manifest)
            }
            CrmEvent::HttpResponse(_) => {}
        }
        let bindings = &self.bindings;
        self.runner.run(
            |store| bindings.call_on_event(store, &event),
            validate::crm_bytes,
            validate::check_crm,
            |a| match a {
                CrmAction::Log(entry) => Some(entry),
                _ => None,
            },
        )
    }

    session_common!();
}

/// An analysis plugin handling one finished call.
pub struct AnalysisSession {
    runner: Runner,
    bindings: Analysis,
}

impl AnalysisSession {
    /// A fresh instance of `plugin` for one job.
    pub fn new(plugin: &Arc<Plugin>, ctx: SessionContext) -> Result<Self, PluginError> {
        let PluginPre::Analysis(pre) = &plugin.pre else {
            return Err(wrong_kind(plugin, PluginKind::Analysis));
        };
        let mut runner = Runner::new(plugin, ctx);
        let bindings = runner.instantiate(|store| pre.instantiate(store))?;
        Ok(AnalysisSession { runner, bindings })
    }

    /// Hands one event to the plugin and returns its validated actions (see
    /// [`DialogueSession::on_event`]).
    pub fn on_event(&mut self, mut event: AnalysisEvent) -> Result<Vec<AnalysisAction>, Fault> {
        if let AnalysisEvent::CallFinished(input) = &mut event {
            mask_call(&mut input.call.call, &self.runner.plugin.manifest);
        }
        let bindings = &self.bindings;
        self.runner.run(
            |store| bindings.call_on_event(store, &event),
            validate::analysis_bytes,
            validate::check_analysis,
            |a| match a {
                AnalysisAction::Log(entry) => Some(entry),
                _ => None,
            },
        )
    }

    session_common!();
}
