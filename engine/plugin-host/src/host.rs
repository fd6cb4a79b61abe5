//! `PluginHost`: the wasmtime engine (pooling allocator, epoch interruption, compile cache),
//! the linker with WASI and the `host` interface, the registry of loaded plugins with hot
//! reload, the shared key-value store and the fault counters.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use wasmtime::component::{HasSelf, Linker};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig,
};

use crate::bindings::{analysis_world, crm_world, dialogue_world};
use crate::error::{FaultKind, PluginError};
use crate::kv::KvStore;
use crate::manifest::{Manifest, manifest_path};
use crate::plugin::{Limits, Plugin};
use crate::state::SessionState;

/// Host-wide settings.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Most plugin instances alive at once (one per running call or post-call job); sizes the
    /// pooling allocator.
    pub max_instances: u32,
    /// Where compiled plugins are cached; `None` compiles on every load.
    pub cache_dir: Option<PathBuf>,
    /// Limits for plugins whose manifest does not set them.
    pub default_limits: Limits,
    /// The largest `memory_mb` a manifest may ask for; also the size of a pool memory slot.
    pub max_memory_mb: u32,
    /// Longest log line a plugin may write, in bytes; longer lines are cut.
    pub log_line_cap: usize,
    /// How often the epoch ticker advances; the granularity of callback time budgets.
    pub epoch_tick: Duration,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            max_instances: 1000,
            cache_dir: None,
            default_limits: Limits::default(),
            max_memory_mb: 64,
            log_line_cap: 4096,
            epoch_tick: Duration::from_millis(5),
        }
    }
}

/// Faults counted since the host started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// All faults of all plugins (repeated `Poisoned` refusals are not counted).
    pub total: u64,
    /// Per plugin name, per kind.
    pub by_plugin: BTreeMap<String, BTreeMap<FaultKind, u64>>,
}

/// State shared by the host, its plugins and their sessions.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<SessionState>,
    pub(crate) kv: KvStore,
    pub(crate) config: HostConfig,
    cache: Option<Cache>,
    faults: Mutex<FaultCounts>,
}

impl Shared {
    pub(crate) fn cache_hits(&self) -> usize {
        self.cache.as_ref().map_or(0, Cache::cache_hits)
    }

    pub(crate) fn record_fault(&self, plugin: &str, kind: FaultKind) {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        faults.total += 1;
        *faults
            .by_plugin
            .entry(plugin.to_owned())
            .or_default()
            .entry(kind)
            .or_default() += 1;
    }

    /// Epoch ticks a callback of `budget` may run (one extra for the tick in progress).
    pub(crate) fn budget_ticks(&self, budget: Duration) -> u64 {
        let tick = self.config.epoch_tick.as_micros().max(1);
        u64::try_from(budget.as_micros().div_ceil(tick))
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }

    pub(crate) fn resolve_limits(
        &self,
        manifest: &Manifest,
        wasm: &Path,
    ) -> Result<Limits, PluginError> {
        let defaults = self.config.default_limits;
        let o = manifest.limits;
        if let Some(mb) = o.memory_mb
            && mb > self.config.max_memory_mb
        {
            return Err(PluginError::Manifest {
                path: manifest_path(wasm),
                line: 1,
                column: 1,
                message: format!(
                    "limits.memory_mb = {mb} is above this host's maximum of {} MiB",
                    self.config.max_memory_mb
                ),
            });
        }
        let max_memory = self.config.max_memory_mb as usize * 1024 * 1024;
        Ok(Limits {
            memory_bytes: o
                .memory_mb
                .map_or(defaults.memory_bytes, |mb| mb as usize * 1024 * 1024)
                .min(max_memory),
            callback: o
                .callback_ms
                .map_or(defaults.callback, |ms| Duration::from_millis(u64::from(ms))),
            max_actions: o.max_actions.map_or(defaults.max_actions, |n| n as usize),
            max_action_bytes: o
                .max_action_bytes
                .map_or(defaults.max_action_bytes, |n| n as usize),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    wasm: Option<FileStamp>,
    manifest: Option<FileStamp>,
}

impl Stamp {
    fn of(wasm: &Path) -> Stamp {
        let file = |p: &Path| {
            std::fs::metadata(p).ok().map(|m| FileStamp {
                modified: m.modified().ok(),
                len: m.len(),
            })
        };
        Stamp {
            wasm: file(wasm),
            manifest: file(&manifest_path(wasm)),
        }
    }
}

struct Entry {
    plugin: Arc<Plugin>,
    stamp: Stamp,
    failed: Option<Stamp>,
}

/// Runs plugins: cheap to clone (shared inside).
#[derive(Clone)]
pub struct PluginHost {
    shared: Arc<Shared>,
    registry: Arc<Mutex<HashMap<PathBuf, Entry>>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl PluginHost {
    /// Builds the engine and starts the epoch ticker thread (it stops when the last clone of
    /// the host and every plugin and session are dropped).
    pub fn new(config: HostConfig) -> Result<PluginHost, PluginError> {
        let setup = |e: wasmtime::Error| PluginError::Setup(format!("{e:#}"));
        let slot_bytes = config.max_memory_mb as usize * 1024 * 1024;
        let instances = config.max_instances.max(1);
        let mut pool = PoolingAllocationConfig::new();
        // A std Rust component (wasm32-wasip2) has two memories (the program and the WASI
        // adapter) and a handful of core instances and tables (shims, fix-ups).
        pool.total_component_instances(instances)
            .total_core_instances(instances.saturating_mul(8))
            .total_memories(instances.saturating_mul(2))
            .total_tables(instances.saturating_mul(4))
            .max_memories_per_component(4)
            .max_tables_per_component(8)
            .max_core_instances_per_component(16)
            .table_elements(10_000)
            .max_memory_size(slot_bytes)
            .max_unused_warm_slots(instances.min(100));
        let mut engine_config = Config::new();
        engine_config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            // Virtual memory per slot is the reservation plus the guard: with 1000 instances
            // and the 64 MiB default that is 2000 x 66 MiB, about 130 GiB of address space
            // (not RSS) instead of wasmtime's default 4 GiB + 32 MiB per memory.
            .memory_reservation(slot_bytes as u64)
            .memory_guard_size(2 * 1024 * 1024)
            .memory_reservation_for_growth(0);
        let cache = match &config.cache_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    PluginError::Setup(format!("cache directory {}: {e}", dir.display()))
                })?;
                let mut cache_config = CacheConfig::new();
                cache_config.with_directory(dir);
                let cache = Cache::new(cache_config).map_err(setup)?;
                engine_config.cache(Some(cache.clone()));
                Some(cache)
            }
            None => None,
        };
        let engine = Engine::new(&engine_config).map_err(setup)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).map_err(setup)?;
        dialogue_world::Dialogue::add_to_linker::<_, HasSelf<SessionState>>(&mut linker, |s| s)
            .map_err(setup)?;
        // The crm-sync and analysis worlds import the same `host` and `types` interfaces
        // (already defined above) plus their own type-only interfaces.
        linker.allow_shadowing(true);
        crm_world::CrmSync::add_to_linker::<_, HasSelf<SessionState>>(&mut linker, |s| s)
            .map_err(setup)?;
        analysis_world::Analysis::add_to_linker::<_, HasSelf<SessionState>>(&mut linker, |s| s)
            .map_err(setup)?;
        linker.allow_shadowing(false);

        let shared = Arc::new(Shared {
            engine,
            linker,
            kv: KvStore::new(),
            config,
            cache,
            faults: Mutex::new(FaultCounts::default()),
        });
        start_epoch_ticker(Arc::downgrade(&shared), shared.config.epoch_tick)?;
        Ok(PluginHost {
            shared,
            registry: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The current version of the plugin at `wasm` (manifest beside it, same stem `.toml`).
    ///
    /// Stats both files on every call (cheap) and reloads when either changed. If a reload
    /// fails, the previous version keeps serving and the error is logged once per change; with
    /// no previous version the error is returned.
    pub fn plugin(&self, wasm: impl AsRef<Path>) -> Result<Arc<Plugin>, PluginError> {
        let wasm = wasm.as_ref();
        let stamp = Stamp::of(wasm);
        let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = registry.get(wasm)
            && (entry.stamp == stamp || entry.failed == Some(stamp))
        {
            return Ok(entry.plugin.clone());
        }
        let loaded = Manifest::load(&manifest_path(wasm))
            .and_then(|manifest| Plugin::load(&self.shared, wasm, manifest));
        match (loaded, registry.get_mut(wasm)) {
            (Ok(plugin), _) => {
                let plugin = Arc::new(plugin);
                registry.insert(
                    wasm.to_owned(),
                    Entry {
                        plugin: plugin.clone(),
                        stamp,
                        failed: None,
                    },
                );
                Ok(plugin)
            }
            (Err(e), Some(entry)) => {
                tracing::error!(
                    path = %wasm.display(),
                    "plugin reload failed, keeping version {}: {e}",
                    entry.plugin.manifest.version
                );
                entry.failed = Some(stamp);
                Ok(entry.plugin.clone())
            }
            (Err(e), None) => Err(e),
        }
    }

    /// Loads `wasm` with a manifest given as text (for tests that vary the config); not
    /// registered for hot reload.
    pub fn load_with_manifest(
        &self,
        wasm: impl AsRef<Path>,
        manifest_toml: &str,
    ) -> Result<Arc<Plugin>, PluginError> {
        let wasm = wasm.as_ref();
        let manifest = Manifest::parse(manifest_toml, &manifest_path(wasm))?;
        Plugin::load(&self.shared, wasm, manifest).map(Arc::new)
    }

    /// Faults counted so far, per plugin and kind.
    pub fn fault_counts(&self) -> FaultCounts {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key-value store shared by every session of this host.
    pub fn kv(&self) -> &KvStore {
        &self.shared.kv
    }

    /// The settings the host was built with.
    pub fn config(&self) -> &HostConfig {
        &self.shared.config
    }
}

fn start_epoch_ticker(shared: Weak<Shared>, tick: Duration) -> Result<(), PluginError> {
    std::thread::Builder::new()
        .name("plugin-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                match shared.upgrade() {
                    Some(shared) => shared.engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .map(|_| ())
        .map_err(|e| PluginError::Setup(format!("cannot start the epoch ticker thread: {e}")))
}
