//! The store's error type and the conversions between Rust and SQLite values.

use std::path::PathBuf;

use rusqlite::Row;
use rusqlite::types::Type;
use serde::de::DeserializeOwned;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused or failed; `doing` says what the store was doing.
    #[error("{doing}: {source}")]
    Sqlite {
        /// What was being done, e.g. "finish attempt 17".
        doing: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The folder of the database file could not be created.
    #[error("cannot create the database folder {}: {source}", path.display())]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer voxgate.
    #[error(
        "the database has schema version {found}, newer than the {known} this voxgate knows: \
         run a newer voxgate on it, or point this one at another database file"
    )]
    SchemaTooNew {
        /// The database's version (`PRAGMA user_version`).
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A campaign, number, attempt or outbox entry does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What was looked for: "campaign", "number", "attempt", "outbox entry".
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The operation contradicts the stored state (a number leased twice, an attempt finished
    /// twice, an update for another number...); nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// SQLite's integrity check found damage in the database file.
    #[error("the database is damaged: {0}")]
    Damaged(String),
    /// An argument is out of range (an id past `i64::MAX`, an unknown campaign status...).
    #[error("{0}")]
    Invalid(String),
}

/// Adds what the store was doing to a SQLite error.
pub(crate) trait Doing<T> {
    /// Wrap the error with the description `doing` makes.
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, doing: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite {
            doing: doing(),
            source,
        })
    }
}

/// An unsigned id or count as a SQLite integer; `what` names it in the error.
pub(crate) fn to_sql_int(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Invalid(format!("{what} {value} is larger than {}", i64::MAX)))
}

/// An optional unsigned value as a SQLite integer.
pub(crate) fn opt_to_sql_int(value: Option<u64>, what: &str) -> Result<Option<i64>, StoreError> {
    value.map(|v| to_sql_int(v, what)).transpose()
}

/// A JSON text for a value the store serialises (vectors, maps and JSON values never fail).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
    what: &str,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("{what}: {e}")))
}

/// An optional JSON value as text.
pub(crate) fn opt_json(value: Option<&serde_json::Value>) -> Option<String> {
    value.map(serde_json::Value::to_string)
}

/// Column `idx` as an unsigned integer.
pub(crate) fn get_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}

/// Column `idx` as an optional unsigned integer.
pub(crate) fn get_opt_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    let value: Option<i64> = row.get(idx)?;
    value
        .map(|v| {
            u64::try_from(v).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e))
            })
        })
        .transpose()
}

/// Column `idx`, a JSON text, decoded.
pub(crate) fn get_json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// Column `idx`, an optional JSON text, decoded.
pub(crate) fn get_opt_json(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}
