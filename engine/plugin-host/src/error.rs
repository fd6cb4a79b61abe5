//! Errors: `PluginError` for loading and starting plugins, `Fault` for a plugin's turn that went
//! wrong (trap, blown budget, refused capability, malformed action).

use std::fmt;
use std::path::PathBuf;

/// Loading or instantiating a plugin failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The `.wasm` or its manifest could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The manifest is missing a field, has a wrong value or is not TOML.
    #[error("{path}:{line}:{column}: {message}")]
    Manifest {
        /// The manifest file (or `<inline>` for a manifest given as text).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The file is not a WebAssembly component, or wasmtime cannot compile it.
    #[error("{path}: not a loadable WebAssembly component: {message}")]
    NotAComponent {
        /// The `.wasm` file.
        path: PathBuf,
        /// wasmtime's reason.
        message: String,
    },
    /// The component was built against an incompatible `voxgate:plugin` interface version.
    #[error("{0}")]
    IncompatibleVersion(String),
    /// The component does not implement the world its manifest's `kind` names.
    #[error("{0}")]
    WrongKind(String),
    /// The host could not be set up (engine configuration, cache directory).
    #[error("plugin host: {0}")]
    Setup(String),
    /// A new instance could not be created (instance pool exhausted, start-up trap).
    #[error("plugin {plugin}: cannot start an instance: {message}")]
    Instantiate {
        /// The plugin's name.
        plugin: String,
        /// wasmtime's reason.
        message: String,
    },
}

/// Why a plugin's turn failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultKind {
    /// The guest trapped (panic, unreachable, out-of-bounds access).
    Trap,
    /// The callback ran past its time budget.
    Timeout,
    /// The guest tried to grow its memory past the cap.
    MemoryLimit,
    /// More actions in one callback than the limit.
    TooManyActions,
    /// The actions of one callback carry more bytes than the limit.
    TooLarge,
    /// An action is invalid (empty play, zero time-out, bad URL, ...).
    Malformed,
    /// An action needs a capability the manifest does not declare (an HTTP host not allowed).
    CapabilityRefused,
    /// The instance faulted earlier and cannot be re-entered.
    Poisoned,
}

impl FaultKind {
    /// Every kind, for exporting counters.
    pub const ALL: [FaultKind; 8] = [
        FaultKind::Trap,
        FaultKind::Timeout,
        FaultKind::MemoryLimit,
        FaultKind::TooManyActions,
        FaultKind::TooLarge,
        FaultKind::Malformed,
        FaultKind::CapabilityRefused,
        FaultKind::Poisoned,
    ];

    /// A short snake_case name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Trap => "trap",
            FaultKind::Timeout => "timeout",
            FaultKind::MemoryLimit => "memory_limit",
            FaultKind::TooManyActions => "too_many_actions",
            FaultKind::TooLarge => "too_large",
            FaultKind::Malformed => "malformed",
            FaultKind::CapabilityRefused => "capability_refused",
            FaultKind::Poisoned => "poisoned",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plugin's turn failed; the call should get the campaign's fallback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plugin fault ({kind}): {detail}")]
pub struct Fault {
    /// What kind of failure.
    pub kind: FaultKind,
    /// Details for the log: the trap message, the guest's panic text, the offending action.
    pub detail: String,
}

impl Fault {
    /// A fault of `kind` with `detail`.
    pub fn new(kind: FaultKind, detail: impl Into<String>) -> Self {
        Fault {
            kind,
            detail: detail.into(),
        }
    }
}
