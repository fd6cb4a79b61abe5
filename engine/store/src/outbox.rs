//! The durable webhook outbox: entries are written with the record they announce, and stay
//! until delivered.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::{Doing, StoreError, get_opt_u64, get_u64, to_sql_int};
use crate::types::NewOutbox;
use crate::{Store, UnixMs};

/// An outbox entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    /// Entry id (stable: send it as the delivery id so receivers can de-duplicate).
    pub id: u64,
    /// The attempt it belongs to, if any.
    pub attempt: Option<u64>,
    /// What it is, e.g. `call.finished`.
    pub kind: String,
    /// Where to POST it.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// Environment variable holding the HMAC secret, if signed.
    pub secret_env: Option<String>,
    /// Delivery tries so far.
    pub attempts: u32,
    /// When it is due (next try).
    pub next_at: UnixMs,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: UnixMs,
    /// When it was delivered; `None` while pending.
    pub delivered_at: Option<UnixMs>,
}

impl OutboxRow {
    const COLUMNS: &str = "id, attempt, kind, url, body, secret_env, attempts, next_at, \
         last_error, created_at, delivered_at";

    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: get_u64(row, 0)?,
            attempt: get_opt_u64(row, 1)?,
            kind: row.get(2)?,
            url: row.get(3)?,
            body: row.get(4)?,
            secret_env: row.get(5)?,
            attempts: row.get(6)?,
            next_at: row.get(7)?,
            last_error: row.get(8)?,
            created_at: row.get(9)?,
            delivered_at: row.get(10)?,
        })
    }
}

/// Insert an entry inside the caller's transaction; returns its id.
pub(crate) fn insert_outbox(
    conn: &Connection,
    attempt: Option<i64>,
    entry: &NewOutbox,
    now: UnixMs,
) -> Result<u64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO outbox (attempt, kind, url, body, secret_env, next_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            attempt,
            entry.kind,
            entry.url,
            entry.body,
            entry.secret_env,
            entry.next_at,
            now
        ])
    })
    .doing(|| format!("enqueue a {} webhook to {}", entry.kind, entry.url))?;
    Ok(conn.last_insert_rowid().unsigned_abs())
}

impl Store {
    /// Enqueue an entry outside [`Store::finish`] (e.g. a follow-up after post-call analysis);
    /// returns its id.
    pub fn outbox_enqueue(
        &mut self,
        attempt: Option<u64>,
        entry: &NewOutbox,
        now: UnixMs,
    ) -> Result<u64, StoreError> {
        let attempt = attempt.map(|a| to_sql_int(a, "attempt id")).transpose()?;
        insert_outbox(&self.conn, attempt, entry, now)
    }

    /// Up to `limit` undelivered entries due at `now`, earliest due first (then by id).
    pub fn outbox_due(&self, now: UnixMs, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let doing = || "read the due outbox entries".to_owned();
        let limit = to_sql_int(limit as u64, "limit")?;
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM outbox
                 WHERE delivered_at IS NULL AND next_at <= ?1
                 ORDER BY next_at, id LIMIT ?2",
                OutboxRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map(params![now, limit], OutboxRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// The entries of one attempt, oldest first.
    pub fn outbox_for_attempt(&self, attempt: u64) -> Result<Vec<OutboxRow>, StoreError> {
        let doing = || format!("read the outbox entries of attempt {attempt}");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM outbox WHERE attempt = ?1 ORDER BY id",
                OutboxRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([to_sql_int(attempt, "attempt id")?], OutboxRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// Mark an entry delivered (a try that succeeded). Delivering it again changes nothing.
    pub fn outbox_delivered(&mut self, id: u64, now: UnixMs) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, last_error = NULL
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![to_sql_int(id, "outbox id")?, now],
            )
            .doing(|| format!("mark outbox entry {id} delivered"))?;
        if changed == 0 {
            self.require_outbox(id)?;
        }
        Ok(())
    }

    /// Record a failed try: why, and when to try again.
    pub fn outbox_failed(
        &mut self,
        id: u64,
        error: &str,
        next_at: UnixMs,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3
                 WHERE id = ?1 AND delivered_at IS NULL",
                params![to_sql_int(id, "outbox id")?, error, next_at],
            )
            .doing(|| format!("record a failed delivery of outbox entry {id}"))?;
        if changed == 0 {
            self.require_outbox(id)?;
        }
        Ok(())
    }

    /// How many entries are not delivered yet (due or waiting for a retry).
    pub fn outbox_pending_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL",
                [],
                |r| r.get(0),
            )
            .doing(|| "count the pending outbox entries".to_owned())?;
        Ok(count.unsigned_abs())
    }

    fn require_outbox(&self, id: u64) -> Result<(), StoreError> {
        let exists: bool = self
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1)",
                [to_sql_int(id, "outbox id")?],
                |r| r.get(0),
            )
            .doing(|| format!("look up outbox entry {id}"))?;
        if exists {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: "outbox entry",
                id: id.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str, next_at: UnixMs) -> NewOutbox {
        NewOutbox {
            kind: "call.finished".into(),
            url: url.into(),
            body: format!("{{\"url\":\"{url}\"}}"),
            secret_env: Some("HOOK_SECRET".into()),
            next_at,
        }
    }

    #[test]
    fn due_entries_come_in_due_order_and_retries_wait() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store
            .outbox_enqueue(None, &entry("http://a", 100), 100)
            .unwrap();
        let b = store
            .outbox_enqueue(None, &entry("http://b", 50), 100)
            .unwrap();
        let c = store
            .outbox_enqueue(None, &entry("http://c", 500), 100)
            .unwrap();
        let due = |s: &Store, now| -> Vec<u64> {
            s.outbox_due(now, 10)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(due(&store, 40), Vec::<u64>::new());
        assert_eq!(due(&store, 100), [b, a]);
        assert_eq!(store.outbox_due(100, 1).unwrap().len(), 1, "limit");
        assert_eq!(store.outbox_pending_count().unwrap(), 3);

        // b fails and is retried at 300; a is delivered.
        store
            .outbox_failed(b, "the receiver answered 503", 300)
            .unwrap();
        store.outbox_delivered(a, 120).unwrap();
        assert_eq!(due(&store, 200), Vec::<u64>::new());
        assert_eq!(due(&store, 600), [b, c]);
        let row = &store.outbox_due(600, 10).unwrap()[0];
        assert_eq!(row.attempts, 1);
        assert_eq!(row.last_error.as_deref(), Some("the receiver answered 503"));
        assert_eq!(row.secret_env.as_deref(), Some("HOOK_SECRET"));
        assert_eq!(store.outbox_pending_count().unwrap(), 2);

        // A second delivery report is harmless; an unknown id is an error.
        store.outbox_delivered(a, 130).unwrap();
        store.outbox_delivered(b, 610).unwrap();
        store.outbox_delivered(c, 610).unwrap();
        assert_eq!(store.outbox_pending_count().unwrap(), 0);
        assert!(due(&store, i64::MAX).is_empty());
        let err = store.outbox_failed(99, "x", 1).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "outbox entry",
                    ..
                }
            ),
            "{err}"
        );
    }
}
