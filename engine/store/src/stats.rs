//! Campaign statistics.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::{Doing, StoreError};
use crate::{Store, UnixMs};

/// The result of an answered call.
const ANSWERED: &str = "answered";
/// The result of a number skipped without a dial: not a call, so not in rates.
const BLACKLISTED: &str = "blacklisted";
/// A call hung up within this talk time counts as a short hang-up.
const SHORT_HANGUP_MS: i64 = 5_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// Calls and answers in one bucket (an hour of the day, a region).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BucketStats {
    /// Calls placed (finished attempts other than blacklisted skips).
    pub calls: u64,
    /// Calls answered.
    pub answered: u64,
    /// `answered / calls` (0 without calls).
    pub connect_rate: f64,
}

impl BucketStats {
    fn new(calls: u64, answered: u64) -> Self {
        Self {
            calls,
            answered,
            connect_rate: ratio(answered, calls),
        }
    }
}

/// A campaign's statistics over its finished attempts.
///
/// Attempts count every finished attempt; calls leave out numbers skipped without a dial
/// (`blacklisted`), so rates describe the line, not the blacklist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignStats {
    /// Campaign id.
    pub campaign: String,
    /// Finished attempts.
    pub attempts: u64,
    /// Finished attempts that placed a call (all but `blacklisted`).
    pub calls: u64,
    /// Attempts in flight.
    pub in_flight: u64,
    /// Numbers in the campaign.
    pub numbers_total: u64,
    /// Numbers with no work left.
    pub numbers_done: u64,
    /// Numbers waiting for an attempt.
    pub numbers_pending: u64,
    /// Calls answered.
    pub answered: u64,
    /// `answered / calls`.
    pub connect_rate: f64,
    /// Answered calls with less than 5 s of talk time.
    pub short_hangups_5s: u64,
    /// `short_hangups_5s / answered`.
    pub short_hangup_rate: f64,
    /// Mean talk time of answered calls, ms.
    pub avg_talk_ms: f64,
    /// Total talk time, ms.
    pub total_talk_ms: u64,
    /// Finished attempts by result.
    pub by_result: BTreeMap<String, u64>,
    /// Finished attempts by intent level (attempts without a level are left out).
    pub by_level: BTreeMap<String, u64>,
    /// Calls by hour of the day (index 0-23) in local time, by when the attempt began.
    pub by_hour: Vec<BucketStats>,
    /// Calls by the number's region (`unknown` when it has none).
    pub by_region: BTreeMap<String, BucketStats>,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Store {
    /// Statistics of a campaign. Hours of the day are local to `utc_offset_minutes` (e.g.
    /// `480` for China Standard Time, `-300` for New York in winter): the caller derives it from
    /// the campaign's time zone; one offset applies to the whole range, so hours across a
    /// daylight-saving change may be off by one.
    pub fn stats(
        &self,
        campaign: &str,
        utc_offset_minutes: i32,
    ) -> Result<CampaignStats, StoreError> {
        let doing = || format!("compute the statistics of campaign {campaign}");
        let progress = self.progress(campaign)?;
        let mut stats = CampaignStats {
            campaign: campaign.to_owned(),
            in_flight: progress.in_flight,
            numbers_total: progress.total,
            numbers_done: progress.done,
            numbers_pending: progress.pending,
            ..Default::default()
        };

        let mut stmt = self
            .conn
            .prepare(
                "SELECT COALESCE(result, ''), COUNT(*) FROM attempts
                 WHERE campaign = ?1 AND finished = 1 GROUP BY result",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([campaign], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .doing(doing)?;
        for (result, count) in rows {
            let count = count.unsigned_abs();
            stats.attempts += count;
            if result != BLACKLISTED {
                stats.calls += count;
            }
            stats.by_result.insert(result, count);
        }

        let (answered, short, total_talk): (i64, i64, i64) = self
            .conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(COALESCE(talk_ms, 0) < ?3), 0),
                        COALESCE(SUM(talk_ms), 0)
                 FROM attempts WHERE campaign = ?1 AND finished = 1 AND result = ?2",
                params![campaign, ANSWERED, SHORT_HANGUP_MS],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .doing(doing)?;
        stats.answered = answered.unsigned_abs();
        stats.short_hangups_5s = short.unsigned_abs();
        stats.total_talk_ms = total_talk.unsigned_abs();
        stats.connect_rate = ratio(stats.answered, stats.calls);
        stats.short_hangup_rate = ratio(stats.short_hangups_5s, stats.answered);
        stats.avg_talk_ms = ratio(stats.total_talk_ms, stats.answered);

        let mut stmt = self
            .conn
            .prepare(
                "SELECT level, COUNT(*) FROM attempts
                 WHERE campaign = ?1 AND finished = 1 AND level IS NOT NULL GROUP BY level",
            )
            .doing(doing)?;
        stats.by_level = stmt
            .query_map([campaign], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.unsigned_abs()))
            })
            .and_then(|rows| rows.collect())
            .doing(doing)?;

        // Local hour = ((created_at + offset) mod day) / hour, with a modulo that stays
        // positive for times before the epoch.
        let offset_ms = UnixMs::from(utc_offset_minutes) * 60_000;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT (((created_at + ?2) % ?3 + ?3) % ?3) / ?4 AS hour,
                        COUNT(*), SUM(result = ?5)
                 FROM attempts
                 WHERE campaign = ?1 AND finished = 1 AND result IS NOT ?6
                 GROUP BY hour",
            )
            .doing(doing)?;
        let hours = stmt
            .query_map(
                params![campaign, offset_ms, DAY_MS, HOUR_MS, ANSWERED, BLACKLISTED],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .doing(doing)?;
        stats.by_hour = vec![BucketStats::default(); 24];
        for (hour, calls, answered) in hours {
            if let Some(bucket) = usize::try_from(hour)
                .ok()
                .and_then(|h| stats.by_hour.get_mut(h))
            {
                *bucket = BucketStats::new(calls.unsigned_abs(), answered.unsigned_abs());
            }
        }

        let mut stmt = self
            .conn
            .prepare(
                "SELECT COALESCE(n.region, 'unknown') AS region, COUNT(*), SUM(a.result = ?2)
                 FROM attempts a JOIN numbers n ON n.id = a.number_id
                 WHERE a.campaign = ?1 AND a.finished = 1 AND a.result IS NOT ?3
                 GROUP BY region",
            )
            .doing(doing)?;
        stats.by_region = stmt
            .query_map(params![campaign, ANSWERED, BLACKLISTED], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    BucketStats::new(
                        r.get::<_, i64>(1)?.unsigned_abs(),
                        r.get::<_, i64>(2)?.unsigned_abs(),
                    ),
                ))
            })
            .and_then(|rows| rows.collect())
            .doing(doing)?;
        Ok(stats)
    }
}
