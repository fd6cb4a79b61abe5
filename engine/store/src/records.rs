//! Call-record queries for the API.

use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params_from_iter};

use crate::Store;
use crate::error::{Doing, StoreError, to_sql_int};
use crate::rows::{RecordRow, RoundRow};
use crate::types::RecordQuery;

/// A `WHERE` clause for a query and its arguments.
fn filter(q: &RecordQuery) -> Result<(String, Vec<Value>), StoreError> {
    let mut clauses: Vec<String> = Vec::new();
    if !q.include_in_flight {
        clauses.push("finished = 1".to_owned());
    }
    let mut args: Vec<Value> = Vec::new();
    let mut add = |clause: &str, value: Value| {
        args.push(value);
        clauses.push(clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(campaign) = &q.campaign {
        add("campaign = ?", Value::Text(campaign.clone()));
    }
    if let Some(result) = &q.result {
        add("result = ?", Value::Text(result.clone()));
    }
    if let Some(level) = &q.level {
        add("level = ?", Value::Text(level.clone()));
    }
    if let Some(tag) = &q.tag {
        add(
            "EXISTS (SELECT 1 FROM json_each(attempts.tags) WHERE json_each.value = ?)",
            Value::Text(tag.clone()),
        );
    }
    if let Some(from) = q.from {
        add("created_at >= ?", Value::Integer(from));
    }
    if let Some(to) = q.to {
        add("created_at < ?", Value::Integer(to));
    }
    if let Some(min) = q.min_talk_ms {
        add(
            "talk_ms >= ?",
            Value::Integer(to_sql_int(min, "min_talk_ms")?),
        );
    }
    if let Some(max) = q.max_talk_ms {
        add(
            "COALESCE(talk_ms, 0) <= ?",
            Value::Integer(to_sql_int(max, "max_talk_ms")?),
        );
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    Ok((sql, args))
}

impl Store {
    /// The records matching `q`, by attempt id (oldest first unless `q.newest_first`), paged
    /// by `q.limit` and `q.offset`.
    pub fn records(&self, q: &RecordQuery) -> Result<Vec<RecordRow>, StoreError> {
        let doing = || "query call records".to_owned();
        let (filter, mut args) = filter(q)?;
        let limit = match q.limit {
            Some(limit) => to_sql_int(limit as u64, "limit")?,
            None => -1,
        };
        args.push(Value::Integer(limit));
        args.push(Value::Integer(to_sql_int(q.offset as u64, "offset")?));
        let n = args.len();
        let sql = format!(
            "SELECT {} FROM attempts {filter} ORDER BY id {} LIMIT ?{} OFFSET ?{n}",
            RecordRow::COLUMNS,
            if q.newest_first { "DESC" } else { "ASC" },
            n - 1,
        );
        let mut stmt = self.conn.prepare(&sql).doing(doing)?;
        stmt.query_map(params_from_iter(args), RecordRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// How many records match `q`, ignoring its limit and offset (for paging).
    pub fn records_count(&self, q: &RecordQuery) -> Result<u64, StoreError> {
        let (filter, args) = filter(q)?;
        let count: i64 = self
            .conn
            .query_row(
                &format!("SELECT COUNT(*) FROM attempts {filter}"),
                params_from_iter(args),
                |r| r.get(0),
            )
            .doing(|| "count call records".to_owned())?;
        Ok(count.unsigned_abs())
    }

    /// One record and its rounds, by attempt id (decimal) or SIP Call-ID.
    pub fn record(&self, key: &str) -> Result<Option<(RecordRow, Vec<RoundRow>)>, StoreError> {
        let doing = || format!("read call record {key}");
        let by_id = match key.parse::<i64>() {
            Ok(id) => self
                .conn
                .query_row(
                    &format!("SELECT {} FROM attempts WHERE id = ?1", RecordRow::COLUMNS),
                    [id],
                    RecordRow::read,
                )
                .optional()
                .doing(doing)?,
            Err(_) => None,
        };
        let record = match by_id {
            Some(record) => record,
            None => {
                let by_call_id = self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT {} FROM attempts WHERE call_id = ?1 ORDER BY id DESC LIMIT 1",
                            RecordRow::COLUMNS
                        ),
                        [key],
                        RecordRow::read,
                    )
                    .optional()
                    .doing(doing)?;
                match by_call_id {
                    Some(record) => record,
                    None => return Ok(None),
                }
            }
        };
        let rounds = self.rounds(record.attempt)?;
        Ok(Some((record, rounds)))
    }

    /// The rounds of an attempt, in order.
    pub fn rounds(&self, attempt: u64) -> Result<Vec<RoundRow>, StoreError> {
        let doing = || format!("read the rounds of attempt {attempt}");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM rounds WHERE attempt = ?1 ORDER BY idx",
                RoundRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([to_sql_int(attempt, "attempt id")?], RoundRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }
}
