//! Blacklist groups: numbers never to dial, each with an optional expiry.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Doing, StoreError};
use crate::{Store, UnixMs};

/// One blacklisted number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlacklistEntry {
    /// Group name.
    pub group: String,
    /// The number (E.164).
    pub e164: String,
    /// When the entry stops applying; `None` = never.
    pub expires_at: Option<UnixMs>,
    /// When it was first added.
    pub added_at: UnixMs,
    /// Why, as the operator wrote it.
    pub note: Option<String>,
}

impl BlacklistEntry {
    const COLUMNS: &str = "grp, e164, expires_at, added_at, note";

    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            group: row.get(0)?,
            e164: row.get(1)?,
            expires_at: row.get(2)?,
            added_at: row.get(3)?,
            note: row.get(4)?,
        })
    }
}

/// Insert or refresh an entry: a number added again gets the new expiry (and the new note, if
/// one is given) and keeps its first `added_at`.
const UPSERT: &str = "INSERT INTO blacklist (grp, e164, expires_at, added_at, note)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (grp, e164) DO UPDATE SET
         expires_at = excluded.expires_at,
         note = COALESCE(excluded.note, note)";

impl Store {
    /// Add a number to a group (or refresh its expiry and note).
    pub fn blacklist_add(
        &mut self,
        group: &str,
        e164: &str,
        expires_at: Option<UnixMs>,
        note: Option<&str>,
        now: UnixMs,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(UPSERT, params![group, e164, expires_at, now, note])
            .doing(|| format!("add {e164} to blacklist group {group}"))?;
        Ok(())
    }

    /// Add many numbers to a group in one transaction (an import); returns how many.
    pub fn blacklist_add_many(
        &mut self,
        group: &str,
        numbers: &[String],
        expires_at: Option<UnixMs>,
        note: Option<&str>,
        now: UnixMs,
    ) -> Result<usize, StoreError> {
        let doing = || format!("add {} numbers to blacklist group {group}", numbers.len());
        self.write(doing, |tx| {
            let mut insert = tx.prepare_cached(UPSERT).doing(doing)?;
            for e164 in numbers {
                insert
                    .execute(params![group, e164, expires_at, now, note])
                    .doing(|| format!("add {e164} to blacklist group {group}"))?;
            }
            Ok(numbers.len())
        })
    }

    /// Remove a number from a group; `false` when it was not there.
    pub fn blacklist_remove(&mut self, group: &str, e164: &str) -> Result<bool, StoreError> {
        let removed = self
            .conn
            .execute(
                "DELETE FROM blacklist WHERE grp = ?1 AND e164 = ?2",
                params![group, e164],
            )
            .doing(|| format!("remove {e164} from blacklist group {group}"))?;
        Ok(removed > 0)
    }

    /// Every entry of a group, expired ones included (for export), by number.
    pub fn blacklist_entries(&self, group: &str) -> Result<Vec<BlacklistEntry>, StoreError> {
        let doing = || format!("list blacklist group {group}");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM blacklist WHERE grp = ?1 ORDER BY e164",
                BlacklistEntry::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([group], BlacklistEntry::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// Every entry of every group still in force at `now` (no expiry, or expiring later): what
    /// the dialer loads at start.
    pub fn blacklist_all_active(&self, now: UnixMs) -> Result<Vec<BlacklistEntry>, StoreError> {
        let doing = || "list the active blacklist entries".to_owned();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM blacklist WHERE expires_at IS NULL OR expires_at > ?1
                 ORDER BY grp, e164",
                BlacklistEntry::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([now], BlacklistEntry::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(store: &Store, now: UnixMs) -> Vec<(String, String)> {
        store
            .blacklist_all_active(now)
            .unwrap()
            .into_iter()
            .map(|e| (e.group, e.e164))
            .collect()
    }

    #[test]
    fn expired_entries_are_not_active_but_are_listed() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .blacklist_add(
                "complaints",
                "+8613800000001",
                None,
                Some("asked twice"),
                10,
            )
            .unwrap();
        store
            .blacklist_add("complaints", "+8613800000002", Some(1_000), None, 10)
            .unwrap();
        store
            .blacklist_add("vip", "+8613800000003", Some(5_000), None, 10)
            .unwrap();
        let pair = |g: &str, n: &str| (g.to_owned(), n.to_owned());
        assert_eq!(
            active(&store, 999),
            [
                pair("complaints", "+8613800000001"),
                pair("complaints", "+8613800000002"),
                pair("vip", "+8613800000003")
            ]
        );
        // Expiry is exclusive: at 1000 the entry no longer applies.
        assert_eq!(
            active(&store, 1_000),
            [
                pair("complaints", "+8613800000001"),
                pair("vip", "+8613800000003")
            ]
        );
        assert_eq!(
            active(&store, 5_000),
            [pair("complaints", "+8613800000001")]
        );
        assert_eq!(store.blacklist_entries("complaints").unwrap().len(), 2);
    }

    #[test]
    fn re_adding_refreshes_expiry_and_keeps_note_and_added_at() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .blacklist_add("g", "+1", Some(100), Some("first"), 10)
            .unwrap();
        store.blacklist_add("g", "+1", None, None, 50).unwrap();
        assert_eq!(
            store.blacklist_entries("g").unwrap(),
            [BlacklistEntry {
                group: "g".into(),
                e164: "+1".into(),
                expires_at: None,
                added_at: 10,
                note: Some("first".into()),
            }]
        );
        assert_eq!(active(&store, 1_000).len(), 1);
    }

    #[test]
    fn add_many_and_remove() {
        let mut store = Store::open_in_memory().unwrap();
        let numbers: Vec<String> = (0..50).map(|i| format!("+86138{i:08}")).collect();
        assert_eq!(
            store
                .blacklist_add_many("import", &numbers, Some(9_000), Some("file.csv"), 1)
                .unwrap(),
            50
        );
        assert_eq!(store.blacklist_entries("import").unwrap().len(), 50);
        assert!(store.blacklist_remove("import", &numbers[3]).unwrap());
        assert!(!store.blacklist_remove("import", &numbers[3]).unwrap());
        assert!(!store.blacklist_remove("other", &numbers[4]).unwrap());
        assert_eq!(store.blacklist_entries("import").unwrap().len(), 49);
        assert!(store.blacklist_entries("other").unwrap().is_empty());
    }
}
