//! Numbers: imports with de-duplication against the campaign, and what the dialer loads.

use rusqlite::{OptionalExtension, params};

use crate::error::{Doing, StoreError, to_json, to_sql_int};
use crate::rows::{ImportRow, ImportSummary, NumberRow, Progress};
use crate::types::{NewNumber, RejectedRow};
use crate::{Store, UnixMs};

/// How many rejected rows an import keeps in its log.
const REJECTED_SAMPLE: usize = 100;

impl Store {
    /// Add numbers to a campaign in one transaction, and log the import.
    ///
    /// A number the campaign already has (same E.164, from this or an earlier import) is counted
    /// in `duplicates_in_campaign` and left as it is, so importing the same file twice adds
    /// nothing. New numbers are due at `now`, in the order of `rows` (their `seq`).
    /// `rejected` are the importer's rejected rows; the first 100 are kept in the log.
    pub fn import_numbers(
        &mut self,
        campaign: &str,
        source: &str,
        rows: &[NewNumber],
        rejected: &[RejectedRow],
        now: UnixMs,
    ) -> Result<ImportSummary, StoreError> {
        let doing = || format!("import {source} into campaign {campaign}");
        self.write(doing, |tx| {
            Store::require_campaign(tx, campaign)?;
            let sample: Vec<serde_json::Value> = rejected
                .iter()
                .take(REJECTED_SAMPLE)
                .map(|(row, value, reason)| {
                    serde_json::json!({ "row": row, "value": value, "reason": reason })
                })
                .collect();
            tx.execute(
                "INSERT INTO imports (campaign, source, at, accepted, duplicates, rejected,
                                      rejected_sample)
                 VALUES (?1, ?2, ?3, 0, 0, ?4, ?5)",
                params![
                    campaign,
                    source,
                    now,
                    to_sql_int(rejected.len() as u64, "rejected rows")?,
                    to_json(&sample, "rejected rows")?
                ],
            )
            .doing(doing)?;
            let import_id = tx.last_insert_rowid();
            let mut seq: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) FROM numbers WHERE campaign = ?1",
                    [campaign],
                    |r| r.get(0),
                )
                .doing(doing)?;
            let (mut accepted, mut duplicates) = (0usize, 0usize);
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO numbers (campaign, e164, national, kind, region, variables,
                                              import_id, import_row, seq, next_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (campaign, e164) DO NOTHING",
                    )
                    .doing(doing)?;
                for row in rows {
                    let added = insert
                        .execute(params![
                            campaign,
                            row.e164,
                            row.national,
                            row.kind,
                            row.region,
                            to_json(&row.variables, "number variables")?,
                            import_id,
                            to_sql_int(row.import_row as u64, "import row")?,
                            seq + 1,
                            now,
                        ])
                        .doing(|| format!("import row {} ({})", row.import_row, row.e164))?;
                    if added == 1 {
                        seq += 1;
                        accepted += 1;
                    } else {
                        duplicates += 1;
                    }
                }
            }
            tx.execute(
                "UPDATE imports SET accepted = ?2, duplicates = ?3 WHERE id = ?1",
                params![
                    import_id,
                    to_sql_int(accepted as u64, "accepted")?,
                    to_sql_int(duplicates as u64, "duplicates")?
                ],
            )
            .doing(doing)?;
            Ok(ImportSummary {
                import_id: import_id.unsigned_abs(),
                accepted,
                duplicates_in_campaign: duplicates,
                rejected: rejected.len(),
            })
        })
    }

    /// The imports of a campaign, oldest first.
    pub fn imports(&self, campaign: &str) -> Result<Vec<ImportRow>, StoreError> {
        let doing = || format!("list the imports of campaign {campaign}");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM imports WHERE campaign = ?1 ORDER BY id",
                ImportRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([campaign], ImportRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// Every number of the campaign with work left or a lease, in dialling order (`seq`).
    ///
    /// A number with `leased_attempt` set was in flight when the engine stopped: see
    /// [`Store::mark_interrupted`].
    pub fn numbers_for_dialer(&self, campaign: &str) -> Result<Vec<NumberRow>, StoreError> {
        let doing = || format!("load the numbers of campaign {campaign}");
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM numbers
                 WHERE campaign = ?1 AND (next_at IS NOT NULL OR leased_attempt IS NOT NULL)
                 ORDER BY seq",
                NumberRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([campaign], NumberRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// One number.
    pub fn number(&self, id: u64) -> Result<Option<NumberRow>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {} FROM numbers WHERE id = ?1", NumberRow::COLUMNS),
                [to_sql_int(id, "number id")?],
                NumberRow::read,
            )
            .optional()
            .doing(|| format!("read number {id}"))
    }

    /// A campaign's progress: numbers done, pending and in flight, and attempts made.
    pub fn progress(&self, campaign: &str) -> Result<Progress, StoreError> {
        let doing = || format!("count the progress of campaign {campaign}");
        let (total, done, in_flight): (i64, i64, i64) = self
            .conn
            .query_row(
                "SELECT COUNT(*),
                        COALESCE(SUM(next_at IS NULL AND leased_attempt IS NULL), 0),
                        COALESCE(SUM(leased_attempt IS NOT NULL), 0)
                 FROM numbers WHERE campaign = ?1",
                [campaign],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .doing(doing)?;
        let attempts: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM attempts WHERE campaign = ?1",
                [campaign],
                |r| r.get(0),
            )
            .doing(doing)?;
        Ok(Progress {
            total: total.unsigned_abs(),
            done: done.unsigned_abs(),
            pending: (total - done - in_flight).unsigned_abs(),
            in_flight: in_flight.unsigned_abs(),
            attempts: attempts.unsigned_abs(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{new_number, store_with_campaign};

    #[test]
    fn reimport_adds_nothing_and_counts_duplicates_against_the_campaign() {
        let mut store = store_with_campaign("c");
        let first: Vec<_> = (0..5).map(new_number).collect();
        let rejected = vec![(7, "12ab".to_owned(), "not a phone number".to_owned())];
        let s = store
            .import_numbers("c", "a.csv", &first, &rejected, 10)
            .unwrap();
        assert_eq!(
            (s.accepted, s.duplicates_in_campaign, s.rejected),
            (5, 0, 1)
        );
        let again = store
            .import_numbers("c", "a.csv", &first, &rejected, 20)
            .unwrap();
        assert_eq!((again.accepted, again.duplicates_in_campaign), (0, 5));
        // A second list overlapping the first: only the new numbers are added, after the others.
        let second: Vec<_> = (3..8).map(new_number).collect();
        let s = store
            .import_numbers("c", "b.csv", &second, &[], 30)
            .unwrap();
        assert_eq!((s.accepted, s.duplicates_in_campaign), (3, 2));
        let numbers = store.numbers_for_dialer("c").unwrap();
        let e164: Vec<_> = numbers.iter().map(|n| n.e164.as_str()).collect();
        assert_eq!(e164, (0..8).map(|i| new_number(i).e164).collect::<Vec<_>>());
        assert_eq!(
            numbers.iter().map(|n| n.seq).collect::<Vec<_>>(),
            (1..=8).collect::<Vec<_>>()
        );
        assert_eq!(numbers[6].next_at, Some(30));
        assert_eq!(numbers[0].variables, first[0].variables);
        let log = store.imports("c").unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!(
            (log[1].accepted, log[1].duplicates, log[1].rejected),
            (0, 5, 1)
        );
        assert_eq!(
            log[0].rejected_sample,
            serde_json::json!([{"row": 7, "value": "12ab", "reason": "not a phone number"}])
        );
    }

    #[test]
    fn same_number_in_two_campaigns_is_two_numbers() {
        let mut store = store_with_campaign("a");
        store.upsert_campaign("b", "B", "", 1).unwrap();
        let rows = [new_number(1)];
        store.import_numbers("a", "x", &rows, &[], 1).unwrap();
        let s = store.import_numbers("b", "x", &rows, &[], 1).unwrap();
        assert_eq!(s.accepted, 1);
    }

    #[test]
    fn import_into_unknown_campaign_is_refused_and_writes_nothing() {
        let mut store = store_with_campaign("a");
        let err = store
            .import_numbers("nope", "x", &[new_number(1)], &[], 1)
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::NotFound {
                what: "campaign",
                ..
            }
        ));
        assert!(store.imports("nope").unwrap().is_empty());
    }

    #[test]
    fn progress_counts_done_pending_and_leased() {
        let mut store = store_with_campaign("c");
        let rows: Vec<_> = (0..4).map(new_number).collect();
        store.import_numbers("c", "x", &rows, &[], 1).unwrap();
        let ids: Vec<_> = store
            .numbers_for_dialer("c")
            .unwrap()
            .iter()
            .map(|n| n.id)
            .collect();
        crate::testing::lease(&mut store, 1, "c", ids[0], 5);
        crate::testing::lease(&mut store, 2, "c", ids[1], 5);
        store
            .finish(&crate::testing::finished(2, ids[1], "answered", 1, None, 9))
            .unwrap();
        let p = store.progress("c").unwrap();
        assert_eq!(
            p,
            Progress {
                total: 4,
                done: 1,
                pending: 2,
                in_flight: 1,
                attempts: 2
            }
        );
        // The done number no longer goes to the dialer; the leased one does.
        let for_dialer = store.numbers_for_dialer("c").unwrap();
        assert_eq!(for_dialer.len(), 3);
        assert_eq!(for_dialer[0].leased_attempt, Some(1));
        assert_eq!(store.number(ids[1]).unwrap().unwrap().next_at, None);
        assert_eq!(store.number(9999).unwrap(), None);
    }
}
