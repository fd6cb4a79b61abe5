//! Attempts: lease before the INVITE, finish in one transaction, skips, and leases left by a
//! crash.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Doing, StoreError, opt_json, opt_to_sql_int, to_json, to_sql_int};
use crate::outbox::insert_outbox;
use crate::types::{FinishedAttempt, LeaseAttempt, NumberUpdate, SkippedAttempt};
use crate::{Store, UnixMs};

/// The result [`Store::mark_interrupted`] gives an attempt left in flight by a crash.
const INTERRUPTED_RESULT: &str = "engine_error";

/// The evidence [`Store::mark_interrupted`] writes on an interrupted attempt.
pub const INTERRUPTED_EVIDENCE: &str = "engine stopped during the attempt";

impl Store {
    /// The smallest attempt id never used: seed the dialer's counter with it at start-up.
    ///
    /// Every lease and skip raises a persisted counter in the same transaction, so ids are not
    /// reused across restarts (the highest stored attempt id is taken into account as well).
    pub fn next_attempt_id(&self) -> Result<u64, StoreError> {
        let next: i64 = self
            .conn
            .query_row(
                "SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'next_attempt_id'), 1),
                            COALESCE((SELECT MAX(id) FROM attempts), 0) + 1)",
                [],
                |r| r.get(0),
            )
            .doing(|| "read the next attempt id".to_owned())?;
        Ok(next.unsigned_abs())
    }

    /// Lease a number for an attempt, durably, before its INVITE is sent: in one transaction
    /// the number is marked as held by the attempt, its attempt count goes up by one, and the
    /// attempt's row is written (unfinished).
    ///
    /// Refused (nothing written) when the number is unknown, belongs to another campaign, is
    /// already leased, or has no work left; or when the attempt id was used before.
    pub fn lease(&mut self, lease: &LeaseAttempt) -> Result<(), StoreError> {
        self.write(
            || {
                format!(
                    "lease number {} for attempt {}",
                    lease.number_id, lease.attempt
                )
            },
            |tx| write_lease(tx, lease),
        )
    }

    /// [`Store::lease`] for several attempts in one transaction (one disk flush for all):
    /// each lease is applied or refused on its own, as the returned list says in order. The
    /// outer error means the transaction failed and none was written.
    pub fn lease_many(
        &mut self,
        leases: &[LeaseAttempt],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.write_each(
            || format!("lease {} numbers", leases.len()),
            leases,
            write_lease,
        )
    }

    /// Write a finished attempt in one transaction: the record and its rounds, the number's new
    /// state (its lease cleared), and the outbox entries. On any error nothing is written.
    ///
    /// Refused when the attempt is unknown or already finished, or when `number_update` names
    /// another number than the one the attempt leased.
    pub fn finish(&mut self, f: &FinishedAttempt) -> Result<(), StoreError> {
        self.write(
            || format!("finish attempt {}", f.attempt),
            |tx| write_finish(tx, f),
        )
    }

    /// [`Store::finish`] for several attempts in one transaction (one disk flush for all):
    /// each is written or refused on its own (a refused one writes nothing), as the returned
    /// list says in order. The outer error means the transaction failed and none was written.
    pub fn finish_many(
        &mut self,
        finished: &[FinishedAttempt],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        self.write_each(
            || format!("finish {} attempts", finished.len()),
            finished,
            write_finish,
        )
    }

    /// Record a number skipped without a dial (e.g. blacklisted right before dialling): a
    /// finished attempt with `result` and the number's new state, in one transaction.
    pub fn skip(&mut self, s: &SkippedAttempt) -> Result<(), StoreError> {
        let doing = || format!("record skipped attempt {}", s.attempt);
        let attempt = to_sql_int(s.attempt, "attempt id")?;
        let u = &s.number_update;
        let number = to_sql_int(u.number_id, "number id")?;
        self.write(doing, |tx| {
            let updated = tx
                .prepare_cached(
                    "UPDATE numbers SET attempts = ?2, next_at = ?3, last_result = ?4
                     WHERE id = ?1 AND campaign = ?5 AND leased_attempt IS NULL",
                )
                .and_then(|mut st| {
                    st.execute(params![
                        number,
                        u.attempts,
                        u.next_at,
                        u.last_result,
                        s.campaign
                    ])
                })
                .doing(doing)?;
            if updated == 0 {
                return Err(lease_refusal(tx, number, &s.campaign));
            }
            tx.prepare_cached(
                "INSERT INTO attempts (id, campaign, number_id, phone, created_at, result,
                                       evidence, finished, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?5)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    attempt, s.campaign, number, s.phone, s.now, s.result, s.evidence
                ])
            })
            .doing(doing)?;
            raise_attempt_counter(tx, attempt)
        })
    }

    /// End an attempt the engine lost (it was in flight when the engine stopped): the attempt
    /// is finished with result `engine_error` and evidence [`INTERRUPTED_EVIDENCE`], and the
    /// number's lease is cleared, in one transaction. The attempt was counted by its lease and
    /// is not counted again.
    ///
    /// With `update` (the dialer's redial decision) the number takes that state; without, it
    /// keeps its attempt count and due time and records `engine_error` as its last result.
    pub fn mark_interrupted(
        &mut self,
        attempt: u64,
        update: Option<&NumberUpdate>,
        now: UnixMs,
    ) -> Result<(), StoreError> {
        let doing = || format!("mark attempt {attempt} as interrupted");
        let id = to_sql_int(attempt, "attempt id")?;
        self.write(doing, |tx| {
            let number: Option<i64> = tx
                .query_row(
                    "UPDATE attempts SET result = ?2, evidence = ?3, finished = 1,
                                         finished_at = ?4
                     WHERE id = ?1 AND finished = 0
                     RETURNING number_id",
                    params![id, INTERRUPTED_RESULT, INTERRUPTED_EVIDENCE, now],
                    |r| r.get(0),
                )
                .optional()
                .doing(doing)?;
            let Some(number) = number else {
                return Err(attempt_not_open(tx, id));
            };
            if let Some(update) = update {
                return update_leased_number(tx, id, number, update);
            }
            let cleared = tx
                .execute(
                    "UPDATE numbers SET leased_attempt = NULL, last_result = ?3
                     WHERE id = ?1 AND leased_attempt = ?2",
                    params![number, id, INTERRUPTED_RESULT],
                )
                .doing(doing)?;
            if cleared == 0 {
                return Err(StoreError::Conflict(format!(
                    "number {number} is not leased by attempt {attempt}"
                )));
            }
            Ok(())
        })
    }

    /// Store the post-call jobs' output on a record; a `None` leaves that field as it is.
    pub fn set_post_call(
        &mut self,
        attempt: u64,
        analysis: Option<&serde_json::Value>,
        crm: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE attempts SET analysis = COALESCE(?2, analysis), crm = COALESCE(?3, crm)
                 WHERE id = ?1",
                params![
                    to_sql_int(attempt, "attempt id")?,
                    opt_json(analysis),
                    opt_json(crm)
                ],
            )
            .doing(|| format!("store the post-call output of attempt {attempt}"))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "attempt",
                id: attempt.to_string(),
            });
        }
        Ok(())
    }
}

/// The writes of [`Store::lease`], inside the caller's transaction.
fn write_lease(conn: &Connection, lease: &LeaseAttempt) -> Result<(), StoreError> {
    let doing = || {
        format!(
            "lease number {} for attempt {}",
            lease.number_id, lease.attempt
        )
    };
    let attempt = to_sql_int(lease.attempt, "attempt id")?;
    let number = to_sql_int(lease.number_id, "number id")?;
    let held = conn
        .prepare_cached(
            "UPDATE numbers SET leased_attempt = ?1, attempts = attempts + 1
             WHERE id = ?2 AND campaign = ?3 AND leased_attempt IS NULL
                   AND next_at IS NOT NULL",
        )
        .and_then(|mut s| s.execute(params![attempt, number, lease.campaign]))
        .doing(doing)?;
    if held == 0 {
        return Err(lease_refusal(conn, number, &lease.campaign));
    }
    conn.prepare_cached(
        "INSERT INTO attempts (id, campaign, number_id, phone, caller_id, trunk, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            attempt,
            lease.campaign,
            number,
            lease.phone,
            lease.caller_id,
            lease.trunk,
            lease.now
        ])
    })
    .doing(doing)?;
    raise_attempt_counter(conn, attempt)
}

/// The writes of [`Store::finish`], inside the caller's transaction.
fn write_finish(conn: &Connection, f: &FinishedAttempt) -> Result<(), StoreError> {
    let doing = || format!("finish attempt {}", f.attempt);
    let attempt = to_sql_int(f.attempt, "attempt id")?;
    let ring_ms = opt_to_sql_int(f.ring_ms, "ring_ms")?;
    let talk_ms = opt_to_sql_int(f.talk_ms, "talk_ms")?;
    let tags = to_json(&f.tags, "tags")?;
    let variables = to_json(&f.variables, "variables")?;
    let number: Option<i64> = conn
        .prepare_cached(
            "UPDATE attempts SET call_id = ?2, dial_at = ?3, ring_at = ?4, answer_at = ?5,
                 hangup_at = ?6, ring_ms = ?7, talk_ms = ?8, result = ?9, sip_code = ?10,
                 sip_reason = ?11, cause = ?12, evidence = ?13, hangup_by = ?14,
                 rounds_count = ?15, score = ?16, level = ?17, tags = ?18, variables = ?19,
                 recording = ?20, rtcp = ?21, faults = ?22, analysis = ?23, crm = ?24,
                 record = ?25, finished = 1, finished_at = ?26
             WHERE id = ?1 AND finished = 0
             RETURNING number_id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    attempt,
                    f.call_id,
                    f.dial_at,
                    f.ring_at,
                    f.answer_at,
                    f.hangup_at,
                    ring_ms,
                    talk_ms,
                    f.result,
                    f.sip_code,
                    f.sip_reason,
                    f.cause,
                    f.evidence,
                    f.hangup_by,
                    f.rounds_count,
                    f.score,
                    f.level,
                    tags,
                    variables,
                    f.recording,
                    opt_json(f.rtcp.as_ref()),
                    opt_json(f.faults.as_ref()),
                    opt_json(f.analysis.as_ref()),
                    opt_json(f.crm.as_ref()),
                    opt_json(f.record.as_ref()),
                    f.now,
                ],
                |r| r.get(0),
            )
            .optional()
        })
        .doing(doing)?;
    let Some(number) = number else {
        return Err(attempt_not_open(conn, attempt));
    };
    update_leased_number(conn, attempt, number, &f.number_update)?;
    {
        let mut insert = conn
            .prepare_cached(
                "INSERT INTO rounds (attempt, idx, at_ms, input_kind, text, digits,
                                     duration_ms, barged_in, node, intent, keywords, reply,
                                     reply_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .doing(doing)?;
        for round in &f.rounds {
            insert
                .execute(params![
                    attempt,
                    round.idx,
                    to_sql_int(round.at_ms, "round at_ms")?,
                    round.input_kind,
                    round.text,
                    round.digits,
                    round.duration_ms,
                    round.barged_in,
                    round.node,
                    round.intent,
                    to_json(&round.keywords, "round keywords")?,
                    to_json(&round.reply, "round reply")?,
                    opt_to_sql_int(round.reply_ms, "round reply_ms")?,
                ])
                .doing(|| format!("finish attempt {}: write round {}", f.attempt, round.idx))?;
        }
    }
    for entry in &f.outbox {
        insert_outbox(conn, Some(attempt), entry, f.now)?;
    }
    Ok(())
}

/// Set a leased number's state after its attempt and clear the lease.
fn update_leased_number(
    conn: &Connection,
    attempt: i64,
    number: i64,
    u: &NumberUpdate,
) -> Result<(), StoreError> {
    if to_sql_int(u.number_id, "number id")? != number {
        return Err(StoreError::Conflict(format!(
            "attempt {attempt} leased number {number}, but its update is for number {}",
            u.number_id
        )));
    }
    let updated = conn
        .prepare_cached(
            "UPDATE numbers SET attempts = ?3, next_at = ?4, last_result = ?5,
                                leased_attempt = NULL
             WHERE id = ?1 AND leased_attempt = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                number,
                attempt,
                u.attempts,
                u.next_at,
                u.last_result
            ])
        })
        .doing(|| format!("update number {number} after attempt {attempt}"))?;
    if updated == 0 {
        return Err(StoreError::Conflict(format!(
            "number {number} is not leased by attempt {attempt}"
        )));
    }
    Ok(())
}

/// Raise the persisted attempt-id counter past `attempt`.
fn raise_attempt_counter(conn: &Connection, attempt: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('next_attempt_id', ?1)
         ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
    )
    .and_then(|mut s| s.execute([attempt.saturating_add(1)]))
    .doing(|| format!("raise the attempt counter past {attempt}"))?;
    Ok(())
}

/// Why a number could not be leased (or skipped).
fn lease_refusal(conn: &Connection, number: i64, campaign: &str) -> StoreError {
    let state = conn
        .query_row(
            "SELECT campaign, leased_attempt, next_at FROM numbers WHERE id = ?1",
            [number],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            },
        )
        .optional();
    match state {
        Err(source) => StoreError::Sqlite {
            doing: format!("look up number {number}"),
            source,
        },
        Ok(None) => StoreError::NotFound {
            what: "number",
            id: number.to_string(),
        },
        Ok(Some((owner, _, _))) if owner != campaign => StoreError::Conflict(format!(
            "number {number} belongs to campaign {owner}, not {campaign}"
        )),
        Ok(Some((_, Some(holder), _))) => StoreError::Conflict(format!(
            "number {number} is already leased by attempt {holder}"
        )),
        Ok(Some((_, None, _))) => {
            StoreError::Conflict(format!("number {number} has no work left (it is done)"))
        }
    }
}

/// Why an attempt could not be finished: unknown, or finished already.
fn attempt_not_open(conn: &Connection, attempt: i64) -> StoreError {
    let exists = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM attempts WHERE id = ?1)",
            [attempt],
            |r| r.get::<_, bool>(0),
        )
        .doing(|| format!("look up attempt {attempt}"));
    match exists {
        Err(e) => e,
        Ok(false) => StoreError::NotFound {
            what: "attempt",
            id: attempt.to_string(),
        },
        Ok(true) => StoreError::Conflict(format!("attempt {attempt} is already finished")),
    }
}

#[cfg(test)]
mod tests;
