//! Safe wrappers around the functions the host gives every plugin.
//!
//! These call into the host, so they only work inside a component run by voxgate (or the
//! testkit); natively compiled code (unit tests, doctests) must not call them.

use crate::bindings::dialogue::voxgate::plugin::host as imports;
use crate::types::{LogLevel, Pair, find};
use std::str::FromStr;

/// Writes a line to the engine log, tagged with the plugin and the call.
pub fn log(level: LogLevel, message: &str) {
    imports::log(level, message);
}

/// Logs at `debug` level.
pub fn debug(message: &str) {
    log(LogLevel::Debug, message);
}

/// Logs at `info` level.
pub fn info(message: &str) {
    log(LogLevel::Info, message);
}

/// Logs at `warn` level.
pub fn warn(message: &str) {
    log(LogLevel::Warn, message);
}

/// Logs at `error` level.
pub fn error(message: &str) {
    log(LogLevel::Error, message);
}

/// The engine's current time in Unix milliseconds (virtual in tests).
pub fn now_ms() -> u64 {
    imports::now_ms()
}

/// A random number from the host (seeded in tests).
pub fn random_u64() -> u64 {
    imports::random_u64()
}

/// The plugin's `[config]` table, flattened (nested keys joined with `.`).
pub fn config() -> Config {
    Config::from_pairs(imports::config())
}

/// A secret declared in the manifest's `[secrets]` table.
pub fn secret(name: &str) -> Result<String, String> {
    imports::secret(name)
}

/// The plugin's key-value namespace (declared as `kv_namespace` in the manifest).
pub mod kv {
    use super::imports;

    /// Reads a key; `Ok(None)` when it is not set.
    pub fn get(key: &str) -> Result<Option<String>, String> {
        imports::kv_get(key)
    }

    /// Writes a key.
    pub fn set(key: &str, value: &str) -> Result<(), String> {
        imports::kv_set(key, value)
    }

    /// Deletes a key.
    pub fn delete(key: &str) -> Result<(), String> {
        imports::kv_delete(key)
    }
}

/// A plugin's configuration: string values by flattened key.
///
/// ```
/// use voxgate_plugin_sdk::host::Config;
/// use voxgate_plugin_sdk::types::Pair;
///
/// let config = Config::from_pairs(vec![Pair::new("timeout_ms", "2500"), Pair::new("opening", "Hi")]);
/// assert_eq!(config.get("opening"), Some("Hi"));
/// assert_eq!(config.parse_or("timeout_ms", 3000u32), 2500);
/// assert_eq!(config.parse_or("retries", 2u32), 2);
/// assert_eq!(config.get_or("filler", "One moment"), "One moment");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    pairs: Vec<Pair>,
}

impl Config {
    /// A configuration from name/value pairs (the first of duplicate names wins).
    pub fn from_pairs(pairs: Vec<Pair>) -> Self {
        Self { pairs }
    }

    /// The value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        find(&self.pairs, key)
    }

    /// The value of a key, or `default`.
    pub fn get_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get(key).unwrap_or(default)
    }

    /// The value of a key parsed as `T`; `None` when absent, `Some(Err)` when malformed.
    pub fn parse<T: FromStr>(&self, key: &str) -> Option<Result<T, T::Err>> {
        self.get(key).map(|value| value.trim().parse())
    }

    /// The value of a key parsed as `T`, or `default` when absent or malformed.
    pub fn parse_or<T: FromStr>(&self, key: &str, default: T) -> T {
        match self.parse(key) {
            Some(Ok(value)) => value,
            _ => default,
        }
    }

    /// A boolean key: `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`, else `default`.
    pub fn flag(&self, key: &str, default: bool) -> bool {
        match self
            .get(key)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("true" | "yes" | "on" | "1") => true,
            Some("false" | "no" | "off" | "0") => false,
            _ => default,
        }
    }

    /// Keys under `prefix.` with the prefix removed (for nested tables and arrays, which the
    /// host flattens as `table.key` and `array.0`).
    pub fn section(&self, prefix: &str) -> Config {
        let dotted = format!("{prefix}.");
        Config::from_pairs(
            self.pairs
                .iter()
                .filter_map(|pair| {
                    pair.name
                        .strip_prefix(&dotted)
                        .map(|rest| Pair::new(rest, pair.value.clone()))
                })
                .collect(),
        )
    }

    /// Every pair.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }
}
