//! The schema and its migrations.
//!
//! Migrations are numbered SQL scripts, applied in order, each in its own transaction together
//! with `PRAGMA user_version = N`, so a database is always at exactly one version. A script is
//! never edited once released: a change to the schema is a new script at the end of the list.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Doing, StoreError};

/// Version 1: every table of the first release.
const V1: &str = r#"
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    source_text   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'loaded'
                  CHECK (status IN ('loaded', 'running', 'paused', 'stopped', 'finished')),
    status_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE imports (
    id              INTEGER PRIMARY KEY,
    campaign        TEXT NOT NULL REFERENCES campaigns (id),
    source          TEXT NOT NULL,
    at              INTEGER NOT NULL,
    accepted        INTEGER NOT NULL,
    duplicates      INTEGER NOT NULL,
    rejected        INTEGER NOT NULL,
    rejected_sample TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX imports_by_campaign ON imports (campaign, at);

CREATE TABLE numbers (
    id             INTEGER PRIMARY KEY,
    campaign       TEXT NOT NULL REFERENCES campaigns (id),
    e164           TEXT NOT NULL,
    national       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    region         TEXT,
    variables      TEXT NOT NULL DEFAULT '[]',
    import_id      INTEGER REFERENCES imports (id),
    import_row     INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        INTEGER,
    leased_attempt INTEGER,
    last_result    TEXT,
    UNIQUE (campaign, e164)
) STRICT;
CREATE INDEX numbers_by_seq ON numbers (campaign, seq);
CREATE INDEX numbers_by_state ON numbers (campaign, next_at, leased_attempt);
CREATE INDEX numbers_by_import ON numbers (import_id);

CREATE TABLE attempts (
    id           INTEGER PRIMARY KEY,
    campaign     TEXT NOT NULL REFERENCES campaigns (id),
    number_id    INTEGER NOT NULL REFERENCES numbers (id),
    phone        TEXT NOT NULL,
    call_id      TEXT,
    caller_id    TEXT,
    trunk        TEXT,
    created_at   INTEGER NOT NULL,
    dial_at      INTEGER,
    ring_at      INTEGER,
    answer_at    INTEGER,
    hangup_at    INTEGER,
    ring_ms      INTEGER,
    talk_ms      INTEGER,
    result       TEXT,
    sip_code     INTEGER,
    sip_reason   TEXT,
    cause        INTEGER,
    evidence     TEXT,
    hangup_by    TEXT,
    rounds_count INTEGER NOT NULL DEFAULT 0,
    score        INTEGER,
    level        TEXT,
    tags         TEXT NOT NULL DEFAULT '[]',
    variables    TEXT NOT NULL DEFAULT '{}',
    recording    TEXT,
    rtcp         TEXT,
    faults       TEXT,
    analysis     TEXT,
    crm          TEXT,
    record       TEXT,
    finished     INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
    finished_at  INTEGER
) STRICT;
CREATE INDEX attempts_by_campaign ON attempts (campaign, id);
CREATE INDEX attempts_by_result ON attempts (campaign, result);
CREATE INDEX attempts_by_number ON attempts (number_id);
CREATE INDEX attempts_by_created ON attempts (created_at);
CREATE INDEX attempts_by_call_id ON attempts (call_id) WHERE call_id IS NOT NULL;

CREATE TABLE rounds (
    attempt     INTEGER NOT NULL REFERENCES attempts (id),
    idx         INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    input_kind  TEXT NOT NULL,
    text        TEXT,
    digits      TEXT,
    duration_ms INTEGER,
    barged_in   INTEGER NOT NULL DEFAULT 0 CHECK (barged_in IN (0, 1)),
    node        TEXT,
    intent      TEXT,
    keywords    TEXT NOT NULL DEFAULT '[]',
    reply       TEXT NOT NULL DEFAULT '[]',
    reply_ms    INTEGER,
    PRIMARY KEY (attempt, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    attempt      INTEGER REFERENCES attempts (id),
    kind         TEXT NOT NULL,
    url          TEXT NOT NULL,
    body         TEXT NOT NULL,
    secret_env   TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_by_attempt ON outbox (attempt);

CREATE TABLE blacklist (
    grp        TEXT NOT NULL,
    e164       TEXT NOT NULL,
    expires_at INTEGER,
    added_at   INTEGER NOT NULL,
    note       TEXT,
    PRIMARY KEY (grp, e164)
) STRICT, WITHOUT ROWID;
CREATE INDEX blacklist_by_expiry ON blacklist (expires_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY
) STRICT, WITHOUT ROWID;
"#;

/// Every migration, in order: the database's `user_version` is how many have been applied.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The database's schema version.
pub(crate) fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .doing(|| "read the schema version".to_owned())
}

/// Apply the migrations the database lacks; refuse a database newer than `migrations`.
///
/// Each step takes the write lock first (`BEGIN IMMEDIATE`) and re-reads the version inside it,
/// so two processes opening a fresh file at once apply every script exactly once.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), StoreError> {
    let known = migrations.len() as i64;
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .doing(|| "start a schema migration".to_owned())?;
        let found = user_version(&tx)?;
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        let Some(script) = usize::try_from(found).ok().and_then(|i| migrations.get(i)) else {
            // Up to date (the transaction rolls back: it wrote nothing).
            return Ok(());
        };
        let version = found + 1;
        tx.execute_batch(script)
            .doing(|| format!("apply schema migration {version}"))?;
        tx.pragma_update(None, "user_version", version)
            .doing(|| format!("record schema version {version}"))?;
        tx.commit()
            .doing(|| format!("commit schema migration {version}"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fresh_database_gets_every_table_and_the_latest_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, MIGRATIONS).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(
            tables(&conn),
            [
                "attempts",
                "blacklist",
                "campaigns",
                "imports",
                "meta",
                "numbers",
                "outbox",
                "rounds"
            ]
        );
        // Applying again is a no-op.
        migrate(&mut conn, MIGRATIONS).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn later_migrations_apply_on_top_of_earlier_ones_only() {
        let mut conn = Connection::open_in_memory().unwrap();
        let first = ["CREATE TABLE a (x INTEGER);"];
        migrate(&mut conn, &first).unwrap();
        conn.execute("INSERT INTO a VALUES (1)", []).unwrap();
        let both = [first[0], "ALTER TABLE a ADD COLUMN y INTEGER DEFAULT 7;"];
        migrate(&mut conn, &both).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 2);
        let y: i64 = conn.query_row("SELECT y FROM a", [], |r| r.get(0)).unwrap();
        assert_eq!(
            y, 7,
            "the first script did not run twice (the row survived)"
        );
    }

    #[test]
    fn a_failing_migration_leaves_the_previous_version_intact() {
        let mut conn = Connection::open_in_memory().unwrap();
        let good = "CREATE TABLE a (x INTEGER);";
        migrate(&mut conn, &[good]).unwrap();
        let bad = "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);";
        let err = migrate(&mut conn, &[good, bad]).unwrap_err();
        assert!(
            err.to_string().contains("apply schema migration 2"),
            "{err}"
        );
        assert_eq!(user_version(&conn).unwrap(), 1);
        assert_eq!(tables(&conn), ["a"], "table b was rolled back");
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 3)
            .unwrap();
        let err = migrate(&mut conn, MIGRATIONS).unwrap_err();
        assert!(
            matches!(err, StoreError::SchemaTooNew { found, known } if found == SCHEMA_VERSION + 3 && known == SCHEMA_VERSION),
            "{err:?}"
        );
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
