//! Call windows: when a campaign may start calls.
//!
//! A [`Calendar`] holds weekly windows in the wall-clock time of an IANA time zone, holidays
//! (days off), make-up working days (调休: a weekend day worked like a weekday) and forbidden
//! ranges. Local time is derived from the zone's UTC offset at each instant, so windows follow
//! daylight saving time: a `09:00-17:00` window in `America/New_York` opens at 14:00 UTC in
//! winter and at 13:00 UTC in summer. During a repeated hour (autumn) a local time occurs twice
//! and is open both times; a skipped hour (spring) never occurs.
//!
//! [`CallWindow::is_open`] is called on every dialer decision: it does integer arithmetic and
//! binary searches over data prepared when the calendar is built (forbidden ranges in UTC,
//! holidays and make-up days as day numbers, the zone's offset changes from 1970 to 2100), and
//! never allocates.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;

use crate::UnixMs;

/// When calls may start. Implemented by [`Calendar`]; tests may use simpler windows.
pub trait CallWindow {
    /// May a call start at `at`?
    fn is_open(&self, at: UnixMs) -> bool;
    /// The first instant at or after `at` when the window is open, if any within a year.
    fn next_open(&self, at: UnixMs) -> Option<UnixMs>;
}

/// How far [`Calendar::next_open`](CallWindow::next_open) looks ahead, in days.
pub const LOOKAHEAD_DAYS: i64 = 366;

mod ranges;

pub use ranges::{ForbiddenRange, TimeRange, parse_date};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
const DAY_MINUTES: u16 = 24 * 60;
const EPOCH: Date = Date::constant(1970, 1, 1);

/// A calendar value that does not parse or does not make sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalendarError(pub String);

/// Call windows per weekday, Monday first; each day's ranges sorted and not overlapping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyWindows {
    days: [Vec<TimeRange>; 7],
}

impl WeeklyWindows {
    /// Add a range to a weekday; refused when it overlaps one already there.
    pub fn add(&mut self, day: Weekday, range: TimeRange) -> Result<(), CalendarError> {
        let ranges = &mut self.days[weekday_index(day)];
        if let Some(other) = ranges.iter().find(|r| r.overlaps(range)) {
            return Err(CalendarError(format!(
                "`{range}` overlaps `{other}` on {day:?}; expected ranges that do not overlap"
            )));
        }
        let at = ranges.partition_point(|r| *r < range);
        ranges.insert(at, range);
        Ok(())
    }

    /// The ranges of one weekday, in order.
    pub fn day(&self, day: Weekday) -> &[TimeRange] {
        &self.days[weekday_index(day)]
    }

    /// True when no day has a range.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

fn weekday_index(day: Weekday) -> usize {
    day.to_monday_zero_offset().unsigned_abs().into()
}

/// A holiday calendar: days off and make-up working days. One file serves many campaigns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holidays {
    /// What the calendar is, e.g. "China 2026".
    pub name: String,
    /// Days with no calls, sorted, without repeats.
    pub days_off: Vec<Date>,
    /// Days worked like another weekday (调休), sorted by date; never a day off.
    pub workdays: Vec<MakeUpDay>,
}

/// A make-up working day: `date` follows the call windows of weekday `like`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MakeUpDay {
    /// The date (usually a Saturday or Sunday).
    pub date: Date,
    /// Whose windows apply that day.
    pub like: Weekday,
}

/// Call windows in a time zone, with holidays, make-up days and forbidden ranges.
#[derive(Clone, Debug, PartialEq)]
pub struct Calendar {
    zone: TimeZone,
    windows: WeeklyWindows,
    holidays: Holidays,
    forbidden: Vec<ForbiddenRange>,
    /// Local day numbers (days since 1970-01-01) of the days off, sorted.
    off_days: Vec<i64>,
    /// Local day numbers of make-up days and the weekday index they follow, sorted.
    make_up: Vec<(i64, usize)>,
    /// Forbidden ranges as UTC milliseconds, sorted and merged.
    forbidden_utc: Vec<(UnixMs, UnixMs)>,
    /// The zone's UTC offsets (ms) from 1970 to 2100: (from when, offset), sorted.
    offsets: Vec<(UnixMs, i64)>,
}

impl Calendar {
    /// A calendar without holidays. Forbidden ranges are local times in `zone`.
    pub fn new(zone: TimeZone, windows: WeeklyWindows, forbidden: Vec<ForbiddenRange>) -> Self {
        let mut spans: Vec<(UnixMs, UnixMs)> = forbidden
            .iter()
            .map(|f| (utc_ms(&zone, f.start), utc_ms(&zone, f.end)))
            .filter(|(a, b)| a < b)
            .collect();
        spans.sort_unstable();
        let mut forbidden_utc: Vec<(UnixMs, UnixMs)> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            match forbidden_utc.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => forbidden_utc.push((a, b)),
            }
        }
        Self {
            windows,
            holidays: Holidays::default(),
            forbidden,
            off_days: Vec::new(),
            make_up: Vec::new(),
            forbidden_utc,
            offsets: offset_table(&zone),
            zone,
        }
    }

    /// The same calendar with `holidays` (replacing any attached before).
    pub fn with_holidays(mut self, holidays: Holidays) -> Self {
        self.off_days = holidays.days_off.iter().map(|d| day_number(*d)).collect();
        self.off_days.sort_unstable();
        self.make_up = holidays
            .workdays
            .iter()
            .map(|w| (day_number(w.date), weekday_index(w.like)))
            .collect();
        self.make_up.sort_unstable();
        self.holidays = holidays;
        self
    }

    /// The time zone of the windows.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The weekly windows.
    pub fn windows(&self) -> &WeeklyWindows {
        &self.windows
    }

    /// The attached holiday calendar (empty when none).
    pub fn holidays(&self) -> &Holidays {
        &self.holidays
    }

    /// The forbidden ranges, as written.
    pub fn forbidden(&self) -> &[ForbiddenRange] {
        &self.forbidden
    }

    /// Local date and time at `at`.
    pub fn local_datetime(&self, at: UnixMs) -> DateTime {
        self.zone.to_datetime(timestamp(at))
    }

    /// The local day at `at`, as days since 1970-01-01 (for "per day" counters).
    pub fn local_day(&self, at: UnixMs) -> i64 {
        local_ms(&self.zone, at).div_euclid(DAY_MS)
    }

    /// The windows that apply on local day number `day` (empty on a day off).
    fn day_ranges(&self, day: i64) -> &[TimeRange] {
        if self.off_days.binary_search(&day).is_ok() {
            return &[];
        }
        let weekday = match self.make_up.binary_search_by_key(&day, |m| m.0) {
            Ok(i) => self.make_up[i].1,
            Err(_) => usize::try_from((day + 3).rem_euclid(7)).unwrap_or_default(),
        };
        &self.windows.days[weekday]
    }

    /// The UTC offset at `at` (which is `ts`) in ms: from the table, else from the zone.
    fn offset_ms(&self, at: UnixMs, ts: Timestamp) -> i64 {
        match self.offsets.partition_point(|o| o.0 <= at) {
            i if i > 0 && at < OFFSET_TABLE_END => self.offsets[i - 1].1,
            _ => i64::from(self.zone.to_offset(ts).seconds()) * 1000,
        }
    }

    /// If `at` is in a forbidden range, where that range ends.
    fn forbidden_until(&self, at: UnixMs) -> Option<UnixMs> {
        let i = self.forbidden_utc.partition_point(|r| r.0 <= at);
        let (_, end) = *self.forbidden_utc.get(i.checked_sub(1)?)?;
        (end > at).then_some(end)
    }

    /// The first local instant in `from..=limit` (local milliseconds) inside a window.
    fn next_local_open(&self, from: i64, limit: i64) -> Option<i64> {
        let last_day = limit.div_euclid(DAY_MS);
        let mut day = from.div_euclid(DAY_MS);
        while day <= last_day {
            let base = day * DAY_MS;
            if let Some(r) = self
                .day_ranges(day)
                .iter()
                .find(|r| base + r.end_ms() > from)
            {
                let at = from.max(base + r.start_ms());
                return (at <= limit).then_some(at);
            }
            day += 1;
        }
        None
    }
}

impl CallWindow for Calendar {
    fn is_open(&self, at: UnixMs) -> bool {
        let Ok(ts) = Timestamp::from_millisecond(at) else {
            return false;
        };
        if self.forbidden_until(at).is_some() {
            return false;
        }
        let local = at + self.offset_ms(at, ts);
        let (day, ms) = (local.div_euclid(DAY_MS), local.rem_euclid(DAY_MS));
        self.day_ranges(day)
            .iter()
            .any(|r| r.start_ms() <= ms && ms < r.end_ms())
    }

    /// Scans one stretch of constant UTC offset at a time (the mapping from local to UTC time
    /// is a plain shift inside it), skipping forbidden ranges, up to [`LOOKAHEAD_DAYS`] ahead.
    fn next_open(&self, at: UnixMs) -> Option<UnixMs> {
        let limit = at.checked_add(LOOKAHEAD_DAYS * DAY_MS)?;
        let mut t = at;
        while t <= limit {
            if let Some(end) = self.forbidden_until(t) {
                t = end;
                continue;
            }
            let ts = Timestamp::from_millisecond(t).ok()?;
            let offset = self.offset_ms(t, ts);
            let segment_end = self
                .zone
                .following(ts)
                .next()
                .map(|tr| tr.timestamp().as_millisecond());
            let last = segment_end.map_or(limit, |e| limit.min(e - 1));
            match self.next_local_open(t + offset, last + offset) {
                Some(local) => {
                    let found = local - offset;
                    match self.forbidden_until(found) {
                        Some(end) => t = end,
                        None => return Some(found),
                    }
                }
                None => t = segment_end.filter(|e| *e <= limit)?,
            }
        }
        None
    }
}

/// The end of the offset table (2100-01-01T00:00Z): later instants ask the zone.
const OFFSET_TABLE_END: UnixMs = 4_102_444_800_000;

/// The UTC offsets of `zone` from 1970 to [`OFFSET_TABLE_END`], so that
/// [`CallWindow::is_open`] does a binary search instead of a time zone lookup.
fn offset_table(zone: &TimeZone) -> Vec<(UnixMs, i64)> {
    let offset = |ts: Timestamp| i64::from(zone.to_offset(ts).seconds()) * 1000;
    let mut table = vec![(0, offset(Timestamp::UNIX_EPOCH))];
    for transition in zone.following(Timestamp::UNIX_EPOCH) {
        let at = transition.timestamp().as_millisecond();
        if at >= OFFSET_TABLE_END {
            break;
        }
        table.push((at, offset(transition.timestamp())));
    }
    table
}

/// `at` as a jiff timestamp, clamped to jiff's range (years -9999 to 9999).
fn timestamp(at: UnixMs) -> Timestamp {
    Timestamp::from_millisecond(at).unwrap_or(if at < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// Local wall-clock time at `at` in `zone`, as milliseconds since 1970-01-01T00:00 local.
pub(crate) fn local_ms(zone: &TimeZone, at: UnixMs) -> i64 {
    let at = timestamp(at).as_millisecond();
    at + i64::from(zone.to_offset(timestamp(at)).seconds()) * 1000
}

/// Local minute of the day at `at` in `zone`.
pub(crate) fn local_minute(zone: &TimeZone, at: UnixMs) -> u16 {
    u16::try_from(local_ms(zone, at).rem_euclid(DAY_MS) / MINUTE_MS).unwrap_or_default()
}

/// The UTC instant of local `dt` (the earlier one in a repeated hour, after a skipped one).
fn utc_ms(zone: &TimeZone, dt: DateTime) -> UnixMs {
    zone.to_ambiguous_timestamp(dt)
        .compatible()
        .map_or(UnixMs::MAX, Timestamp::as_millisecond)
}

/// Days from 1970-01-01 to `date`.
fn day_number(date: Date) -> i64 {
    date.duration_since(EPOCH).as_secs().div_euclid(86_400)
}

#[cfg(test)]
mod tests;
