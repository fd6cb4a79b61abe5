//! What one session's `Store` holds: the minimal WASI context, the memory limiter, the log,
//! the clock and generator, and the implementation of the `host` interface.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::dialogue_world::voxgate::plugin::{host, types};
use crate::clock::{HostClock, SeededRng, WasiMonotonicClock, WasiWallClock};
use crate::kv::KvStore;
use crate::manifest::Manifest;
use crate::stdio::CapturedOutput;

/// Log lines a session keeps (the oldest are dropped first).
pub const MAX_LOG_LINES: usize = 1000;

/// One line a plugin logged (through `host.log`, a `log` action, stdout or stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Severity.
    pub level: types::LogLevel,
    /// The text, cut at the host's cap.
    pub message: String,
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            types::LogLevel::Trace => "trace",
            types::LogLevel::Debug => "debug",
            types::LogLevel::Info => "info",
            types::LogLevel::Warn => "warn",
            types::LogLevel::Error => "error",
        };
        write!(f, "{level}: {}", self.message)
    }
}

/// Caps linear memory (all memories of the instance together) and remembers whether the cap
/// was what stopped the guest, so the fault can say `MemoryLimit` rather than `Trap`.
#[derive(Debug)]
pub(crate) struct MemoryLimiter {
    pub(crate) cap_bytes: usize,
    pub(crate) total_bytes: usize,
    pub(crate) hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.total_bytes - current.min(self.total_bytes) + desired;
        if total > self.cap_bytes {
            self.hit = true;
            // Trapping (rather than returning false) is `trap_on_grow_failure`: a guest that
            // cannot handle a failed grow would otherwise abort with a less clear message.
            wasmtime::bail!(
                "memory limit: the plugin asked for {total} bytes of linear memory, over its cap of {} bytes",
                self.cap_bytes
            );
        }
        self.total_bytes = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// The data of one session's `Store`.
pub(crate) struct SessionState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    manifest: Arc<Manifest>,
    kv: KvStore,
    label: String,
    clock: Arc<dyn HostClock>,
    rng: SeededRng,
    log: VecDeque<LogLine>,
    log_line_cap: usize,
    stdout: CapturedOutput,
    stderr: CapturedOutput,
}

impl SessionState {
    pub(crate) fn new(
        manifest: Arc<Manifest>,
        kv: KvStore,
        label: String,
        clock: Arc<dyn HostClock>,
        seed: u64,
        memory_cap: usize,
        log_line_cap: usize,
    ) -> Self {
        let stdout = CapturedOutput::default();
        let stderr = CapturedOutput::default();
        let mut seeds = SeededRng::new(seed ^ 0x5EED_0F5A_1700_0001_u64);
        let insecure_seed = (u128::from(seeds.next_u64()) << 64) | u128::from(seeds.next_u64());
        // No preopened directories, no network, no environment, no arguments: every capability
        // goes through the typed `host` interface.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(WasiWallClock(clock.clone()))
            .monotonic_clock(WasiMonotonicClock {
                clock: clock.clone(),
                start_ms: clock.now_unix_ms(),
            })
            .secure_random(SeededRng::new(seeds.next_u64()))
            .insecure_random(SeededRng::new(seeds.next_u64()))
            .insecure_random_seed(insecure_seed)
            .max_random_size(64 * 1024)
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false)
            .build();
        SessionState {
            wasi,
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                cap_bytes: memory_cap,
                total_bytes: 0,
                hit: false,
            },
            manifest,
            kv,
            label,
            clock,
            rng: SeededRng::new(seed),
            log: VecDeque::new(),
            log_line_cap,
            stdout,
            stderr,
        }
    }

    /// Records a log line: cut to the cap, sent to `tracing`, kept in the session buffer.
    pub(crate) fn push_log(&mut self, level: types::LogLevel, message: &str) {
        let message = cut(message, self.log_line_cap);
        let plugin = self.manifest.name.as_str();
        let call = self.label.as_str();
        match level {
            types::LogLevel::Trace => tracing::trace!(plugin, call, "{message}"),
            types::LogLevel::Debug => tracing::debug!(plugin, call, "{message}"),
            types::LogLevel::Info => tracing::info!(plugin, call, "{message}"),
            types::LogLevel::Warn => tracing::warn!(plugin, call, "{message}"),
            types::LogLevel::Error => tracing::error!(plugin, call, "{message}"),
        }
        if self.log.len() == MAX_LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { level, message });
    }

    /// Moves captured stdout/stderr into the log; returns the stderr text (for fault details).
    pub(crate) fn drain_stdio(&mut self) -> Option<String> {
        if let Some(out) = self.stdout.drain() {
            for line in out.lines().filter(|l| !l.is_empty()) {
                self.push_log(types::LogLevel::Info, &format!("stdout: {line}"));
            }
        }
        let err = self.stderr.drain()?;
        for line in err.lines().filter(|l| !l.is_empty()) {
            self.push_log(types::LogLevel::Warn, &format!("stderr: {line}"));
        }
        Some(err)
    }

    pub(crate) fn log_lines(&self) -> impl Iterator<Item = &LogLine> {
        self.log.iter()
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    fn namespace(&self) -> Result<&str, String> {
        self.manifest
            .capabilities
            .kv_namespace
            .as_deref()
            .ok_or_else(|| "no kv_namespace declared in manifest".to_owned())
    }
}

/// `text` cut to at most `cap` bytes at a character boundary, with a note of what was cut.
pub(crate) fn cut(text: &str, cap: usize) -> String {
    if text.len() <= cap {
        return text.to_owned();
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... [cut {} bytes]", &text[..end], text.len() - end)
}

impl WasiView for SessionState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for SessionState {}
impl crate::bindings::dialogue_world::voxgate::plugin::dialogue_types::Host for SessionState {}
impl crate::bindings::crm_world::voxgate::plugin::crm_types::Host for SessionState {}
impl crate::bindings::analysis_world::voxgate::plugin::analysis_types::Host for SessionState {}

impl host::Host for SessionState {
    fn log(&mut self, level: types::LogLevel, message: String) {
        self.push_log(level, &message);
    }

    fn now_ms(&mut self) -> u64 {
        self.clock.now_unix_ms()
    }

    fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn config(&mut self) -> Vec<types::Pair> {
        self.manifest
            .config
            .iter()
            .map(|(name, value)| types::Pair {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }

    fn secret(&mut self, name: String) -> Result<String, String> {
        let Some(var) = self.manifest.secrets.get(&name) else {
            return Err(format!(
                "secret `{name}` is not declared in the manifest's [secrets] table"
            ));
        };
        std::env::var(var).map_err(|_| {
            format!("secret `{name}`: environment variable {var} is not set (or not UTF-8)")
        })
    }

    fn kv_get(&mut self, key: String) -> Result<Option<String>, String> {
        let ns = self.namespace()?;
        Ok(self.kv.get(ns, &key))
    }

    fn kv_set(&mut self, key: String, value: String) -> Result<(), String> {
        let ns = self.namespace()?.to_owned();
        self.kv.set(&ns, &key, &value)
    }

    fn kv_delete(&mut self, key: String) -> Result<(), String> {
        let ns = self.namespace()?.to_owned();
        self.kv.delete(&ns, &key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::clock::SystemClock;
    use crate::kv::KvStore;

    fn state(manifest: &str) -> SessionState {
        let manifest = Manifest::parse(manifest, Path::new("t.toml")).unwrap();
        SessionState::new(
            Arc::new(manifest),
            KvStore::new(),
            "call".to_owned(),
            Arc::new(SystemClock),
            1,
            1 << 20,
            64,
        )
    }

    #[test]
    fn secrets_come_from_declared_environment_variables_only() {
        // PATH is set wherever tests run; edition 2024 makes set_var unsafe, so read it.
        let mut s = state(
            "[plugin]\nname = \"p\"\nkind = \"dialogue\"\n[secrets]\npath = \"PATH\"\n\
             missing = \"VOXGATE_TEST_UNSET_VARIABLE_7F3A\"\n",
        );
        assert_eq!(
            host::Host::secret(&mut s, "path".to_owned()).ok(),
            std::env::var("PATH").ok()
        );
        let undeclared = host::Host::secret(&mut s, "api_key".to_owned()).unwrap_err();
        assert!(undeclared.contains("not declared"), "{undeclared}");
        let unset = host::Host::secret(&mut s, "missing".to_owned()).unwrap_err();
        assert!(
            unset.contains("VOXGATE_TEST_UNSET_VARIABLE_7F3A is not set"),
            "{unset}"
        );
    }

    #[test]
    fn kv_needs_a_namespace_and_config_is_flattened() {
        let mut s = state("[plugin]\nname = \"p\"\nkind = \"dialogue\"\n[config]\na = { b = 1 }\n");
        let err = host::Host::kv_get(&mut s, "k".to_owned()).unwrap_err();
        assert_eq!(err, "no kv_namespace declared in manifest");
        assert!(host::Host::kv_set(&mut s, "k".to_owned(), "v".to_owned()).is_err());
        assert!(host::Host::kv_delete(&mut s, "k".to_owned()).is_err());
        let config = host::Host::config(&mut s);
        assert_eq!(config.len(), 1);
        assert_eq!(
            (config[0].name.as_str(), config[0].value.as_str()),
            ("a.b", "1")
        );
    }

    #[test]
    fn log_lines_are_cut_and_bounded() {
        let mut s = state("[plugin]\nname = \"p\"\nkind = \"dialogue\"\n");
        host::Host::log(&mut s, types::LogLevel::Info, "y".repeat(100));
        let line = s.log_lines().next().unwrap();
        assert_eq!(
            line.message,
            format!("{}... [cut 36 bytes]", "y".repeat(64))
        );
        for i in 0..MAX_LOG_LINES {
            s.push_log(types::LogLevel::Debug, &i.to_string());
        }
        assert_eq!(s.log_lines().count(), MAX_LOG_LINES);
        assert_eq!(s.log_lines().next().unwrap().message, "0");
    }

    #[test]
    fn cut_respects_char_boundaries() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("aaaaé", 5), "aaaa... [cut 2 bytes]");
    }
}
