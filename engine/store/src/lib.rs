//! Persistence for voxgate campaigns on SQLite: campaigns, numbers with their attempt state,
//! imports, call records (attempts) with their rounds, the webhook outbox and blacklists.
//!
//! The API is synchronous: the server runs the writer [`Store`] on a thread of its own, and may
//! open a second `Store` on the same file for reads (WAL lets readers run beside the writer).
//! Time is always an argument ([`UnixMs`]); nothing here reads a clock. Results, levels and
//! statuses are plain strings: the store does not know the campaign crate's types.
//!
//! # Crash safety
//!
//! The database runs in WAL mode with `synchronous=FULL` by default, so a transaction that has
//! returned survives a power loss, not only a process crash. The dialing protocol is:
//!
//! 1. [`Store::lease`] marks the number as held by the attempt (and counts the attempt) in one
//!    committed transaction; only then does the caller send the INVITE.
//! 2. [`Store::finish`] writes the record, its rounds, the number's next due time and the
//!    webhooks to deliver in one transaction, and clears the lease.
//! 3. After a crash, [`Store::numbers_for_dialer`] shows the numbers still leased; the caller
//!    decides what the interrupted attempt means for the number (redial rules) and calls
//!    [`Store::mark_interrupted`]: the attempt ends as `engine_error`, counted once.
//!
//! So no number is dialled without a lease on disk, a finished record is never lost, and a
//! number is never forgotten: it is due, leased, or done.
//!
//! ```
//! # fn main() -> Result<(), voxgate_store::StoreError> {
//! use voxgate_store::{Store, NewNumber, LeaseAttempt, FinishedAttempt, NumberUpdate};
//! let mut store = Store::open_in_memory()?;
//! store.upsert_campaign("spring", "Spring offer", "id = \"spring\"", 1_000)?;
//! let number = NewNumber { e164: "+8613800138000".into(), national: "13800138000".into(),
//!     kind: "mobile".into(), import_row: 2, ..Default::default() };
//! store.import_numbers("spring", "leads.csv", &[number], &[], 1_000)?;
//! let due = store.numbers_for_dialer("spring")?;
//! let attempt = store.next_attempt_id()?;
//! store.lease(&LeaseAttempt { attempt, campaign: "spring".into(), number_id: due[0].id,
//!     phone: due[0].national.clone(), caller_id: None, trunk: "carrier".into(), now: 2_000 })?;
//! store.finish(&FinishedAttempt { attempt, result: "busy".into(), now: 9_000,
//!     number_update: NumberUpdate { number_id: due[0].id, attempts: 1,
//!         next_at: Some(3_609_000), last_result: "busy".into() }, ..Default::default() })?;
//! assert_eq!(store.progress("spring")?.attempts, 1);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod attempts;
mod blacklist;
mod campaigns;
mod error;
mod numbers;
mod outbox;
mod records;
mod rows;
mod schema;
mod stats;
#[cfg(test)]
mod testing;
mod types;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use attempts::INTERRUPTED_EVIDENCE;
pub use blacklist::BlacklistEntry;
pub use campaigns::CAMPAIGN_STATUSES;
pub use error::StoreError;
pub use outbox::OutboxRow;
pub use rows::{CampaignRow, ImportRow, ImportSummary, NumberRow, Progress, RecordRow, RoundRow};
pub use schema::SCHEMA_VERSION;
pub use stats::{BucketStats, CampaignStats};
pub use types::{
    FinishedAttempt, LeaseAttempt, NewNumber, NewOutbox, NumberUpdate, RecordQuery, RejectedRow,
    SkippedAttempt,
};

use error::Doing;

/// Wall-clock time in milliseconds since the Unix epoch.
pub type UnixMs = i64;

/// How hard SQLite syncs a commit to disk (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// Every commit is synced: a returned transaction survives a power loss (the default).
    #[default]
    Full,
    /// The WAL is synced at checkpoints only: a crash of the process loses nothing, a power
    /// loss may lose the last commits. Faster.
    Normal,
}

/// Options for [`Store::open_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Commit durability.
    pub synchronous: Synchronous,
    /// How long a statement waits for another connection's lock before failing.
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            synchronous: Synchronous::Full,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// A connection to the voxgate database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Open (or create) the database at `path` with the default options: creates the folder,
    /// turns on WAL, `synchronous=FULL` and foreign keys, and applies missing migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// [`Store::open`] with explicit options.
    pub fn open_with(path: &Path, options: &StoreOptions) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent()
            && !folder.as_os_str().is_empty()
        {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        let conn =
            Connection::open(path).doing(|| format!("open the database {}", path.display()))?;
        Self::configure(conn, options, true)
    }

    /// A private database in memory (tests, simulations).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn =
            Connection::open_in_memory().doing(|| "open an in-memory database".to_owned())?;
        Self::configure(conn, &StoreOptions::default(), false)
    }

    fn configure(
        mut conn: Connection,
        options: &StoreOptions,
        wal: bool,
    ) -> Result<Self, StoreError> {
        conn.busy_timeout(options.busy_timeout)
            .doing(|| "set the busy time-out".to_owned())?;
        if wal {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .doing(|| "turn on WAL mode".to_owned())?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Invalid(format!(
                    "the database refused WAL mode (journal mode is {mode}); \
                     is it on a file system without shared-memory support?"
                )));
            }
        }
        let synchronous = match options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", synchronous)
            .doing(|| "set synchronous mode".to_owned())?;
        conn.pragma_update(None, "foreign_keys", true)
            .doing(|| "turn on foreign keys".to_owned())?;
        schema::migrate(&mut conn, schema::MIGRATIONS)?;
        // Room for every statement the hot paths cache (lease, finish, skip, outbox, import).
        conn.set_prepared_statement_cache_capacity(32);
        Ok(Self { conn })
    }

    /// Run `work` in one transaction (taking the write lock at once) and commit it; on any
    /// error the transaction rolls back and nothing is written.
    pub(crate) fn write<T>(
        &mut self,
        doing: impl Fn() -> String,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(&doing)?;
        let value = work(&tx)?;
        tx.commit().doing(&doing)?;
        Ok(value)
    }

    /// Run `work` on every item in one transaction, each in a savepoint of its own: an item's
    /// error rolls back that item only and is returned in its place. One commit for all.
    pub(crate) fn write_each<I>(
        &mut self,
        doing: impl Fn() -> String,
        items: &[I],
        work: impl Fn(&Connection, &I) -> Result<(), StoreError>,
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let mut tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(&doing)?;
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let mut savepoint = tx.savepoint().doing(&doing)?;
            let result = work(&savepoint, item);
            if result.is_err() {
                savepoint.rollback().doing(&doing)?;
            }
            savepoint.commit().doing(&doing)?;
            results.push(result);
        }
        tx.commit().doing(&doing)?;
        Ok(results)
    }

    /// The database's schema version (equal to [`SCHEMA_VERSION`] once open).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        schema::user_version(&self.conn)
    }

    /// Run SQLite's integrity check; `Ok(())` when the file is sound, else the problems found.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .doing(|| "check the database's integrity".to_owned())?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .doing(|| "check the database's integrity".to_owned())?;
        if problems == ["ok"] {
            Ok(())
        } else {
            Err(StoreError::Damaged(problems.join("; ")))
        }
    }
}
