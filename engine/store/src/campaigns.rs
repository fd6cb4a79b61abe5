//! Campaigns: their file text and status.

use rusqlite::{OptionalExtension, params};

use crate::error::{Doing, StoreError};
use crate::rows::CampaignRow;
use crate::{Store, UnixMs};

/// Every campaign status, in lifecycle order.
pub const CAMPAIGN_STATUSES: [&str; 5] = ["loaded", "running", "paused", "stopped", "finished"];

impl Store {
    /// Add a campaign (status `loaded`) or replace the name and file text of an existing one,
    /// keeping its status and numbers.
    pub fn upsert_campaign(
        &mut self,
        id: &str,
        name: &str,
        source_text: &str,
        now: UnixMs,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO campaigns (id, name, source_text, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (id) DO UPDATE SET
                     name = excluded.name,
                     source_text = excluded.source_text,
                     updated_at = excluded.updated_at",
                params![id, name, source_text, now],
            )
            .doing(|| format!("store campaign {id}"))?;
        Ok(())
    }

    /// Set a campaign's status (one of [`CAMPAIGN_STATUSES`]) and why.
    pub fn set_status(
        &mut self,
        id: &str,
        status: &str,
        reason: Option<&str>,
        now: UnixMs,
    ) -> Result<(), StoreError> {
        if !CAMPAIGN_STATUSES.contains(&status) {
            return Err(StoreError::Invalid(format!(
                "unknown campaign status {status:?}: expected one of {}",
                CAMPAIGN_STATUSES.join(", ")
            )));
        }
        let changed = self
            .conn
            .execute(
                "UPDATE campaigns SET status = ?2, status_reason = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![id, status, reason, now],
            )
            .doing(|| format!("set the status of campaign {id}"))?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "campaign",
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// One campaign.
    pub fn campaign(&self, id: &str) -> Result<Option<CampaignRow>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {} FROM campaigns WHERE id = ?1",
                    CampaignRow::COLUMNS
                ),
                [id],
                CampaignRow::read,
            )
            .optional()
            .doing(|| format!("read campaign {id}"))
    }

    /// Every campaign, oldest first.
    pub fn campaigns(&self) -> Result<Vec<CampaignRow>, StoreError> {
        let doing = || "list campaigns".to_owned();
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {} FROM campaigns ORDER BY created_at, id",
                CampaignRow::COLUMNS
            ))
            .doing(doing)?;
        stmt.query_map([], CampaignRow::read)
            .and_then(|rows| rows.collect())
            .doing(doing)
    }

    /// Fail with [`StoreError::NotFound`] unless the campaign exists.
    pub(crate) fn require_campaign(
        conn: &rusqlite::Connection,
        id: &str,
    ) -> Result<(), StoreError> {
        let exists: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )
            .doing(|| format!("look up campaign {id}"))?;
        if exists {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: "campaign",
                id: id.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_keeps_status_and_creation_time() {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_campaign("a", "A", "v1", 100).unwrap();
        store
            .set_status("a", "paused", Some("connect rate 2% < 10%"), 150)
            .unwrap();
        store.upsert_campaign("a", "A2", "v2", 200).unwrap();
        let row = store.campaign("a").unwrap().unwrap();
        assert_eq!(
            row,
            CampaignRow {
                id: "a".into(),
                name: "A2".into(),
                source_text: "v2".into(),
                status: "paused".into(),
                status_reason: Some("connect rate 2% < 10%".into()),
                created_at: 100,
                updated_at: 200,
            }
        );
    }

    #[test]
    fn campaigns_list_oldest_first() {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_campaign("b", "B", "", 2).unwrap();
        store.upsert_campaign("a", "A", "", 3).unwrap();
        store.upsert_campaign("c", "C", "", 1).unwrap();
        let ids: Vec<_> = store
            .campaigns()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["c", "b", "a"]);
        assert_eq!(store.campaign("zzz").unwrap(), None);
    }

    #[test]
    fn status_is_checked_and_campaign_must_exist() {
        let mut store = Store::open_in_memory().unwrap();
        store.upsert_campaign("a", "A", "", 1).unwrap();
        for status in CAMPAIGN_STATUSES {
            store.set_status("a", status, None, 2).unwrap();
            assert_eq!(store.campaign("a").unwrap().unwrap().status, status);
        }
        let err = store.set_status("a", "exploded", None, 3).unwrap_err();
        assert!(err.to_string().contains("unknown campaign status"), "{err}");
        let err = store.set_status("nope", "running", None, 3).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "campaign",
                    ..
                }
            ),
            "{err}"
        );
    }
}
