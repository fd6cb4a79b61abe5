//! Runs voxgate plugins: WebAssembly components built against `sdk/wit`
//! (`voxgate:plugin@0.1.0`), sandboxed in wasmtime.
//!
//! - [`PluginHost`] owns one engine (pooling allocator sized for
//!   [`HostConfig::max_instances`], epoch interruption driven by a ticker thread, the on-disk
//!   compile cache), the shared [`KvStore`] and the fault counters.
//! - [`PluginHost::plugin`] returns the current [`Plugin`] version for a `.wasm` path (manifest
//!   `NAME.toml` beside it), reloading it when either file changed.
//! - [`DialogueSession`], [`CrmSession`] and [`AnalysisSession`] give each call or job its own
//!   store: memory cap, time budget per callback, validated actions, and a [`Fault`] (never a
//!   panic) when the plugin misbehaves.
//!
//! ```no_run
//! use voxgate_plugin_host::{DialogueSession, HostConfig, PluginHost, SessionContext};
//! use voxgate_plugin_host::dialogue::Event;
//!
//! let host = PluginHost::new(HostConfig::default())?;
//! let plugin = host.plugin("plugins/dist/flow.wasm")?;
//! let mut session = DialogueSession::new(&plugin, SessionContext::new("call-1", 42))?;
//! match session.on_event(Event::Answered) {
//!     Ok(actions) => println!("{actions:?}"),
//!     Err(fault) => println!("fallback: {fault}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bindings;
mod clock;
mod error;
mod host;
mod kv;
mod manifest;
mod mask;
mod plugin;
mod session;
mod state;
mod stdio;
mod validate;
mod version;

pub use clock::{HostClock, SeededRng, SystemClock};
pub use error::{Fault, FaultKind, PluginError};
pub use host::{FaultCounts, HostConfig, PluginHost};
pub use kv::{KvStore, MAX_KEY_BYTES, MAX_NAMESPACE_BYTES, MAX_VALUE_BYTES};
pub use manifest::{Capabilities, LimitOverrides, Manifest, PluginKind, manifest_path};
pub use mask::mask_number;
pub use plugin::{Limits, LoadInfo, Plugin};
pub use session::{AnalysisSession, CrmSession, DialogueSession, SessionContext};
pub use state::{LogLine, MAX_LOG_LINES};
pub use validate::{HTTP_METHODS, MAX_COLLECT_TIMEOUT_MS, MAX_NAME_BYTES, MAX_TIMER_MS};
pub use version::{INTERFACE_VERSION, InterfaceVersion, PACKAGE};

/// Types shared by every plugin kind (`voxgate:plugin/types`).
pub mod types {
    pub use crate::bindings::dialogue_world::voxgate::plugin::types::{
        CallInfo, CallSummary, Direction, HangupParty, HttpReply, HttpRequest, HttpResponse,
        LogEntry, LogLevel, Pair, TranscriptTurn,
    };
}

/// Dialogue events and actions (`voxgate:plugin/dialogue-types`).
pub mod dialogue {
    pub use crate::bindings::dialogue_world::voxgate::plugin::dialogue_types::{
        Action, Collect, CollectEnd, Digits, Event, HangUp, HangupInfo, Listen, Play, PromptPart,
        Recognized, RoundNote, Timer, Transcript, TransferResult, TransferTarget, Utterance,
    };
}

/// CRM-sync events and actions (`voxgate:plugin/crm-types`).
pub mod crm {
    pub use crate::bindings::crm_world::voxgate::plugin::crm_types::{CrmAction, CrmEvent};
}

/// Analysis events and actions (`voxgate:plugin/analysis-types`).
pub mod analysis {
    pub use crate::bindings::analysis_world::voxgate::plugin::analysis_types::{
        AnalysisAction, AnalysisEvent, AnalysisInput, Finding, Report,
    };
}
