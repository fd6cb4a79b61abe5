//! The plugin manifest: `NAME.toml` beside `NAME.wasm`, declaring the plugin's kind,
//! capabilities, secrets, limits and free-form config. Errors carry `file:line:column`.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::PluginError;

/// Which world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PluginKind {
    /// `dialogue`: reacts to call events with actions.
    Dialogue,
    /// `crm-sync`: customer fields before a call, the record after it.
    CrmSync,
    /// `analysis`: post-call grading and findings.
    Analysis,
}

impl PluginKind {
    /// The WIT world name (and the manifest's `kind` value).
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Dialogue => "dialogue",
            PluginKind::CrmSync => "crm-sync",
            PluginKind::Analysis => "analysis",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "dialogue" => Some(PluginKind::Dialogue),
            "crm-sync" => Some(PluginKind::CrmSync),
            "analysis" => Some(PluginKind::Analysis),
            _ => None,
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a plugin may do beyond pure computation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Hosts (`host` = any port, or `host:port`) that `http-request` actions may address.
    pub http_allow: Vec<String>,
    /// The key-value namespace; `None` refuses every kv call.
    pub kv_namespace: Option<String>,
    /// The plugin sees unmasked phone numbers.
    pub full_numbers: bool,
}

/// Per-plugin limits from the manifest; `None` takes the host's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitOverrides {
    /// Linear memory cap in MiB.
    pub memory_mb: Option<u32>,
    /// Time budget per callback in milliseconds.
    pub callback_ms: Option<u32>,
    /// Most actions one callback may return.
    pub max_actions: Option<u32>,
    /// Most bytes (strings and bodies) in one callback's actions.
    pub max_action_bytes: Option<u32>,
}

/// A parsed plugin manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The plugin's name (logs, fault counters).
    pub name: String,
    /// The world the component must implement.
    pub kind: PluginKind,
    /// The plugin's own version, for logs.
    pub version: String,
    /// Declared capabilities.
    pub capabilities: Capabilities,
    /// Secret name the plugin asks for -> environment variable the host reads.
    pub secrets: BTreeMap<String, String>,
    /// Limit overrides.
    pub limits: LimitOverrides,
    /// The `[config]` table flattened: nested keys joined with `.`, arrays as JSON.
    pub config: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    plugin: RawPlugin,
    #[serde(default)]
    capabilities: RawCapabilities,
    #[serde(default)]
    secrets: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    config: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    name: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCapabilities {
    #[serde(default)]
    http_allow: Vec<Spanned<String>>,
    #[serde(default)]
    kv_namespace: Option<Spanned<String>>,
    #[serde(default)]
    full_numbers: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    memory_mb: Option<Spanned<u32>>,
    callback_ms: Option<Spanned<u32>>,
    max_actions: Option<Spanned<u32>>,
    max_action_bytes: Option<Spanned<u32>>,
}

/// Longest kv namespace name.
pub const MAX_KV_NAMESPACE_LEN: usize = 64;

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, PluginError> {
        let text = std::fs::read_to_string(path).map_err(|e| PluginError::Io {
            path: path.to_owned(),
            message: format!("cannot read the plugin manifest: {e}"),
        })?;
        Manifest::parse(&text, path)
    }

    /// Parses manifest text; `path` is used in error messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, PluginError> {
        let err = |span: Range<usize>, message: String| {
            let (line, column) = line_column(text, span.start);
            PluginError::Manifest {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawManifest = toml::from_str(text)
            .map_err(|e| err(e.span().unwrap_or(0..0), e.message().to_owned()))?;

        let name = raw.plugin.name.get_ref().trim().to_owned();
        if name.is_empty() || name.len() > 64 {
            return Err(err(
                raw.plugin.name.span(),
                "plugin.name: expected 1 to 64 characters".to_owned(),
            ));
        }
        let kind = PluginKind::parse(raw.plugin.kind.get_ref()).ok_or_else(|| {
            err(
                raw.plugin.kind.span(),
                format!(
                    "plugin.kind: `{}` is not a plugin kind; expected \"dialogue\", \"crm-sync\" or \"analysis\"",
                    raw.plugin.kind.get_ref()
                ),
            )
        })?;

        let mut http_allow = Vec::new();
        for entry in &raw.capabilities.http_allow {
            let value = entry.get_ref().trim().to_ascii_lowercase();
            if !valid_allow_entry(&value) {
                return Err(err(
                    entry.span(),
                    format!(
                        "capabilities.http_allow: `{}` is not host or host:port (no scheme, no path), e.g. \"api.example.com\" or \"127.0.0.1:8080\"",
                        entry.get_ref()
                    ),
                ));
            }
            http_allow.push(value);
        }
        let kv_namespace = match &raw.capabilities.kv_namespace {
            None => None,
            Some(ns) => {
                let value = ns.get_ref();
                if value.is_empty() || value.len() > MAX_KV_NAMESPACE_LEN {
                    return Err(err(
                        ns.span(),
                        format!(
                            "capabilities.kv_namespace: expected 1 to {MAX_KV_NAMESPACE_LEN} characters"
                        ),
                    ));
                }
                Some(value.clone())
            }
        };
        let mut secrets = BTreeMap::new();
        for (secret, var) in &raw.secrets {
            if var.get_ref().is_empty() {
                return Err(err(
                    var.span(),
                    format!("secrets.{secret}: expected the name of an environment variable"),
                ));
            }
            secrets.insert(secret.clone(), var.get_ref().clone());
        }
        let positive = |v: &Option<Spanned<u32>>, what: &str| -> Result<Option<u32>, PluginError> {
            match v {
                Some(s) if *s.get_ref() == 0 => {
                    Err(err(s.span(), format!("limits.{what}: must be above 0")))
                }
                Some(s) => Ok(Some(*s.get_ref())),
                None => Ok(None),
            }
        };
        let limits = LimitOverrides {
            memory_mb: positive(&raw.limits.memory_mb, "memory_mb")?,
            callback_ms: positive(&raw.limits.callback_ms, "callback_ms")?,
            max_actions: positive(&raw.limits.max_actions, "max_actions")?,
            max_action_bytes: positive(&raw.limits.max_action_bytes, "max_action_bytes")?,
        };
        let mut config = Vec::new();
        flatten_config("", &raw.config, &mut config);

        Ok(Manifest {
            name,
            kind,
            version: raw.plugin.version.unwrap_or_else(|| "0.0.0".to_owned()),
            capabilities: Capabilities {
                http_allow,
                kv_namespace,
                full_numbers: raw.capabilities.full_numbers,
            },
            secrets,
            limits,
            config,
        })
    }

    /// True when `host` on `port` is in `http_allow` (an entry without a port allows any port).
    pub fn allows_http(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.to_ascii_lowercase();
        self.capabilities
            .http_allow
            .iter()
            .any(|entry| match split_host_port(entry) {
                Some((h, None)) => h == host,
                Some((h, Some(p))) => h == host && Some(p) == port,
                None => false,
            })
    }
}

/// The manifest path for a plugin file: same stem, `.toml`.
pub fn manifest_path(wasm: &Path) -> PathBuf {
    wasm.with_extension("toml")
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Splits `host`, `host:port` or `[v6]:port`; `None` when the port is not a number.
fn split_host_port(entry: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((format!("[{host}]"), Some(port.parse().ok()?))),
            None if after.is_empty() => Some((format!("[{host}]"), None)),
            None => None,
        };
    }
    match entry.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), Some(port.parse().ok()?))),
        None => Some((entry.to_owned(), None)),
    }
}

fn valid_allow_entry(entry: &str) -> bool {
    if entry.is_empty() || entry.contains("://") || entry.contains('/') || entry.contains(' ') {
        return false;
    }
    matches!(split_host_port(entry), Some((host, _)) if !host.is_empty())
}

fn flatten_config(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten_config(&name, inner, out),
            toml::Value::String(s) => out.push((name, s.clone())),
            toml::Value::Array(_) => {
                let json = serde_json::to_string(value).unwrap_or_default();
                out.push((name, json));
            }
            other => out.push((name, other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
[plugin]
name = "flow"
kind = "dialogue"
version = "0.1.0"
[capabilities]
http_allow = ["127.0.0.1:8080", "API.example.com"]
kv_namespace = "flow"
full_numbers = true
[secrets]
api_key = "LLM_API_KEY"
[limits]
memory_mb = 32
callback_ms = 100
[config]
greeting = "hello"
retries = 3
[config.nested]
list = ["a", 1]
deep = { on = true }
"#;

    #[test]
    fn parses_a_full_manifest() {
        let m = Manifest::parse(FULL, Path::new("flow.toml")).unwrap();
        assert_eq!(m.name, "flow");
        assert_eq!(m.kind, PluginKind::Dialogue);
        assert_eq!(m.capabilities.kv_namespace.as_deref(), Some("flow"));
        assert!(m.capabilities.full_numbers);
        assert_eq!(
            m.secrets.get("api_key").map(String::as_str),
            Some("LLM_API_KEY")
        );
        assert_eq!(m.limits.memory_mb, Some(32));
        assert_eq!(m.limits.max_actions, None);
        let config: BTreeMap<_, _> = m.config.iter().cloned().collect();
        assert_eq!(config["greeting"], "hello");
        assert_eq!(config["retries"], "3");
        assert_eq!(config["nested.list"], r#"["a",1]"#);
        assert_eq!(config["nested.deep.on"], "true");
    }

    #[test]
    fn http_allow_matches_host_and_port() {
        let m = Manifest::parse(FULL, Path::new("flow.toml")).unwrap();
        assert!(m.allows_http("127.0.0.1", Some(8080)));
        assert!(!m.allows_http("127.0.0.1", Some(8081)));
        assert!(m.allows_http("api.example.com", Some(443)));
        assert!(m.allows_http("Api.Example.com", Some(80)));
        assert!(!m.allows_http("evil.example.com", Some(443)));
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let text = "[plugin]\nname = \"x\"\nkind = \"chat\"\n";
        let e = Manifest::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.toml:3:8: plugin.kind: `chat` is not a plugin kind"),
            "{e}"
        );

        let text = "[plugin]\nname = \"x\"\nkind = \"dialogue\"\n[limits]\nmemory = 3\n";
        let e = Manifest::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:5:1: unknown field `memory`"), "{e}");

        let text = "[plugin]\nkind = \"dialogue\"\n";
        let e = Manifest::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field `name`"), "{e}");

        let text = "[plugin]\nname = \"x\"\nkind = \"dialogue\"\n[capabilities]\nhttp_allow = [\"https://a.b/c\"]\n";
        let e = Manifest::parse(text, Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:5:15: capabilities.http_allow"), "{e}");
    }
}
