//! The in-memory key-value store plugins reach through `host.kv-*`, shared by every session
//! of a host and namespaced by the manifest's `kv_namespace`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Longest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most bytes (keys plus values) one namespace may hold.
pub const MAX_NAMESPACE_BYTES: usize = 1024 * 1024;

/// A namespaced string store; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct KvStore {
    namespaces: Arc<Mutex<HashMap<String, Namespace>>>,
}

#[derive(Debug, Default)]
struct Namespace {
    entries: HashMap<String, String>,
    bytes: usize,
}

impl KvStore {
    /// An empty store.
    pub fn new() -> Self {
        KvStore::default()
    }

    /// The value of `key` in `namespace`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<String> {
        let map = self
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(namespace)
            .and_then(|ns| ns.entries.get(key).cloned())
    }

    /// Sets `key` to `value`; refused (with the reason) over the size caps.
    pub fn set(&self, namespace: &str, key: &str, value: &str) -> Result<(), String> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(format!("kv key must be 1 to {MAX_KEY_BYTES} bytes"));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(format!(
                "kv value of {} bytes is over the cap of {MAX_VALUE_BYTES} bytes",
                value.len()
            ));
        }
        let mut map = self
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let ns = map.entry(namespace.to_owned()).or_default();
        let old = ns.entries.get(key).map_or(0, |v| key.len() + v.len());
        let new_total = ns.bytes - old + key.len() + value.len();
        if new_total > MAX_NAMESPACE_BYTES {
            return Err(format!(
                "kv namespace `{namespace}` would hold {new_total} bytes, over the cap of {MAX_NAMESPACE_BYTES}"
            ));
        }
        ns.entries.insert(key.to_owned(), value.to_owned());
        ns.bytes = new_total;
        Ok(())
    }

    /// Deletes `key` (deleting a missing key is fine).
    pub fn delete(&self, namespace: &str, key: &str) {
        let mut map = self
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(ns) = map.get_mut(namespace)
            && let Some(old) = ns.entries.remove(key)
        {
            ns.bytes -= key.len() + old.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_separate_and_capped() {
        let kv = KvStore::new();
        kv.set("a", "k", "1").unwrap();
        assert_eq!(kv.get("a", "k").as_deref(), Some("1"));
        assert_eq!(kv.get("b", "k"), None);
        assert!(kv.set("a", "", "x").is_err());
        assert!(kv.set("a", &"k".repeat(MAX_KEY_BYTES + 1), "x").is_err());
        assert!(
            kv.set("a", "big", &"v".repeat(MAX_VALUE_BYTES + 1))
                .is_err()
        );
        let chunk = "v".repeat(MAX_VALUE_BYTES);
        let mut refused = false;
        for i in 0..20 {
            if kv.set("a", &format!("key{i}"), &chunk).is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused, "namespace cap never applied");
        kv.delete("a", "k");
        assert_eq!(kv.get("a", "k"), None);
        kv.set("a", "k", "again").unwrap_or_default();
    }
}
