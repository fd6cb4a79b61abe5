//! Blacklist groups: numbers never to call, each entry with an optional expiry.
//!
//! The dialer checks the campaign's groups right before every dial; a hit ends the attempt as
//! `blacklisted` and nothing is sent. Numbers are compared as given (the caller normalises them
//! to E.164 the same way for the list and the campaign's numbers).

use std::collections::HashMap;

use crate::UnixMs;

/// Groups of blacklisted numbers. An entry with `expires: Some(t)` stops matching at `t`.
#[derive(Clone, Debug, Default)]
pub struct Blacklist {
    groups: HashMap<String, HashMap<String, Option<UnixMs>>>,
    entries: usize,
}

impl Blacklist {
    /// An empty blacklist.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add `number` to `group` (or replace its expiry). Returns true if the entry is new.
    pub fn insert(&mut self, group: &str, number: &str, expires: Option<UnixMs>) -> bool {
        let entries = self.groups.entry(group.to_owned()).or_default();
        let new = entries.insert(number.to_owned(), expires).is_none();
        if new {
            self.entries += 1;
        }
        new
    }

    /// Remove `number` from `group`. Returns true if it was there.
    pub fn remove(&mut self, group: &str, number: &str) -> bool {
        let Some(entries) = self.groups.get_mut(group) else {
            return false;
        };
        let removed = entries.remove(number).is_some();
        if removed {
            self.entries -= 1;
            if entries.is_empty() {
                self.groups.remove(group);
            }
        }
        removed
    }

    /// The first of `groups` (in the order given) that lists `number` without having expired
    /// at `now`, if any.
    pub fn contains<'a>(&self, groups: &'a [String], number: &str, now: UnixMs) -> Option<&'a str> {
        groups.iter().map(String::as_str).find(|group| {
            self.groups
                .get(*group)
                .and_then(|entries| entries.get(number))
                .is_some_and(|expires| expires.is_none_or(|at| now < at))
        })
    }

    /// Entries stored, in every group, expired ones included until purged.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// True if no entry is stored.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Drop the entries that have expired at `now`; returns how many were dropped.
    pub fn purge_expired(&mut self, now: UnixMs) -> usize {
        let before = self.entries;
        for entries in self.groups.values_mut() {
            entries.retain(|_, expires| expires.is_none_or(|at| now < at));
        }
        self.groups.retain(|_, entries| !entries.is_empty());
        self.entries = self.groups.values().map(HashMap::len).sum();
        before - self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn insert_contains_remove() {
        let mut b = Blacklist::new();
        assert!(b.is_empty());
        assert!(b.insert("dnc", "+8613800000001", None));
        assert!(!b.insert("dnc", "+8613800000001", Some(10)));
        assert!(b.insert("complaints", "+8613800000001", None));
        assert_eq!(b.len(), 2);
        let both = groups(&["complaints", "dnc"]);
        assert_eq!(b.contains(&both, "+8613800000001", 0), Some("complaints"));
        assert_eq!(b.contains(&groups(&["other"]), "+8613800000001", 0), None);
        assert_eq!(b.contains(&both, "+8613800000002", 0), None);
        assert!(b.remove("complaints", "+8613800000001"));
        assert!(!b.remove("complaints", "+8613800000001"));
        assert!(!b.remove("nope", "+8613800000001"));
        assert_eq!(b.contains(&both, "+8613800000001", 0), Some("dnc"));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn expired_entries_do_not_match_and_purge() {
        let mut b = Blacklist::new();
        b.insert("dnc", "+1555", Some(1_000));
        b.insert("dnc", "+1666", None);
        let g = groups(&["dnc"]);
        assert_eq!(b.contains(&g, "+1555", 999), Some("dnc"));
        assert_eq!(b.contains(&g, "+1555", 1_000), None);
        assert_eq!(b.purge_expired(999), 0);
        assert_eq!(b.purge_expired(1_000), 1);
        assert_eq!(b.len(), 1);
        assert_eq!(b.contains(&g, "+1666", i64::MAX), Some("dnc"));
    }
}
