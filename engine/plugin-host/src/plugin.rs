//! One loaded version of a plugin: its manifest, resolved limits, compiled component and
//! pre-instantiation. Sessions hold an `Arc<Plugin>`, so a hot reload never disturbs them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Component;

use crate::bindings::analysis_world::AnalysisPre;
use crate::bindings::crm_world::CrmSyncPre;
use crate::bindings::dialogue_world::DialoguePre;
use crate::error::PluginError;
use crate::host::Shared;
use crate::manifest::{Manifest, PluginKind};
use crate::state::SessionState;
use crate::version::{INTERFACE_VERSION, InterfaceVersion, PACKAGE};

/// The limits a plugin runs under: the manifest's `[limits]` over the host's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory cap (all memories of an instance together), in bytes.
    pub memory_bytes: usize,
    /// Time budget of one callback.
    pub callback: Duration,
    /// Most actions one callback may return.
    pub max_actions: usize,
    /// Most bytes (strings and bodies) in one callback's actions.
    pub max_action_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 32 * 1024 * 1024,
            callback: Duration::from_millis(100),
            max_actions: 64,
            max_action_bytes: 64 * 1024,
        }
    }
}

/// How a plugin version was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadInfo {
    /// The compiled code came from the on-disk cache (no compilation).
    pub from_cache: bool,
    /// Time spent reading, compiling (or loading from cache) and pre-instantiating.
    pub load_time: Duration,
}

pub(crate) enum PluginPre {
    Dialogue(DialoguePre<SessionState>),
    CrmSync(CrmSyncPre<SessionState>),
    Analysis(AnalysisPre<SessionState>),
}

/// A loaded, pre-instantiated plugin version.
pub struct Plugin {
    pub(crate) path: PathBuf,
    pub(crate) manifest: Arc<Manifest>,
    pub(crate) limits: Limits,
    pub(crate) interface_version: Option<InterfaceVersion>,
    pub(crate) load_info: LoadInfo,
    pub(crate) pre: PluginPre,
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("name", &self.manifest.name)
            .field("kind", &self.manifest.kind)
            .field("version", &self.manifest.version)
            .field("load_info", &self.load_info)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// The manifest's `name`.
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The world it implements.
    pub fn kind(&self) -> PluginKind {
        self.manifest.kind
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The `.wasm` file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The limits it runs under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The `voxgate:plugin` version it was built against (`None` if it imports nothing of ours).
    pub fn interface_version(&self) -> Option<InterfaceVersion> {
        self.interface_version
    }

    /// Whether it came from the compile cache, and how long loading took.
    pub fn load_info(&self) -> LoadInfo {
        self.load_info
    }

    /// Loads `wasm` with `manifest`: compile (through the cache), check the interface version
    /// and world, pre-instantiate.
    pub(crate) fn load(
        shared: &Arc<Shared>,
        wasm: &Path,
        manifest: Manifest,
    ) -> Result<Plugin, PluginError> {
        let started = Instant::now();
        let limits = shared.resolve_limits(&manifest, wasm)?;
        let bytes = std::fs::read(wasm).map_err(|e| PluginError::Io {
            path: wasm.to_owned(),
            message: format!("cannot read the plugin: {e}"),
        })?;
        check_component_header(wasm, &bytes)?;
        let hits_before = shared.cache_hits();
        let component =
            Component::new(&shared.engine, &bytes).map_err(|e| PluginError::NotAComponent {
                path: wasm.to_owned(),
                message: format!("{e:#}"),
            })?;
        let from_cache = shared.cache_hits() > hits_before;
        let interface_version = check_version(shared, wasm, &component)?;
        let instance_pre =
            shared
                .linker
                .instantiate_pre(&component)
                .map_err(|e| PluginError::NotAComponent {
                    path: wasm.to_owned(),
                    message: format!("it needs imports this host does not provide: {e:#}"),
                })?;
        let wrong_kind = |actual: Option<PluginKind>| {
            let found = actual.map_or_else(
                || "none of the voxgate plugin worlds".to_owned(),
                |k| format!("the `{k}` world"),
            );
            PluginError::WrongKind(format!(
                "{}: the manifest says kind = \"{}\" but the component implements {found}",
                wasm.display(),
                manifest.kind
            ))
        };
        let pre = match manifest.kind {
            PluginKind::Dialogue => DialoguePre::new(instance_pre.clone()).map(PluginPre::Dialogue),
            PluginKind::CrmSync => CrmSyncPre::new(instance_pre.clone()).map(PluginPre::CrmSync),
            PluginKind::Analysis => AnalysisPre::new(instance_pre.clone()).map(PluginPre::Analysis),
        }
        .map_err(|_| {
            let actual = if DialoguePre::new(instance_pre.clone()).is_ok() {
                Some(PluginKind::Dialogue)
            } else if CrmSyncPre::new(instance_pre.clone()).is_ok() {
                Some(PluginKind::CrmSync)
            } else if AnalysisPre::new(instance_pre.clone()).is_ok() {
                Some(PluginKind::Analysis)
            } else {
                None
            };
            wrong_kind(actual)
        })?;
        let load_info = LoadInfo {
            from_cache,
            load_time: started.elapsed(),
        };
        tracing::info!(
            plugin = manifest.name.as_str(),
            version = manifest.version.as_str(),
            path = %wasm.display(),
            from_cache,
            load_ms = load_info.load_time.as_millis() as u64,
            "plugin loaded"
        );
        Ok(Plugin {
            path: wasm.to_owned(),
            manifest: Arc::new(manifest),
            limits,
            interface_version,
            load_info,
            pre,
            shared: shared.clone(),
        })
    }
}

/// A component starts with `\0asm`, then version 0x0d and layer 1 (a core module has layer 0).
fn check_component_header(wasm: &Path, bytes: &[u8]) -> Result<(), PluginError> {
    let not = |message: &str| PluginError::NotAComponent {
        path: wasm.to_owned(),
        message: message.to_owned(),
    };
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', _, _, 1, 0]) => Ok(()),
        Some([0, b'a', b's', b'm', _, _, 0, 0]) => Err(not(
            "it is a core WebAssembly module, not a component; build it for wasm32-wasip2 with voxgate-plugin-sdk (`voxgate plugin build`)",
        )),
        _ => Err(not("it is not a WebAssembly file")),
    }
}

/// Finds the `voxgate:plugin` version among the component's imports and exports and refuses
/// an incompatible one.
fn check_version(
    shared: &Shared,
    wasm: &Path,
    component: &Component,
) -> Result<Option<InterfaceVersion>, PluginError> {
    let ty = component.component_type();
    let names = ty
        .imports(&shared.engine)
        .map(|(name, _)| name)
        .chain(ty.exports(&shared.engine).map(|(name, _)| name));
    let mut found: Option<InterfaceVersion> = None;
    for name in names {
        let Some(version) = InterfaceVersion::from_item_name(name) else {
            continue;
        };
        if !version.compatible_with(INTERFACE_VERSION) {
            return Err(PluginError::IncompatibleVersion(format!(
                "{} was built against {PACKAGE}@{version} but this engine provides {INTERFACE_VERSION}: rebuild it with voxgate-plugin-sdk {}.{}.x (`voxgate plugin build`)",
                wasm.display(),
                INTERFACE_VERSION.major,
                INTERFACE_VERSION.minor,
            )));
        }
        found = Some(found.map_or(version, |f| f.max(version)));
    }
    Ok(found)
}
