//! Ranges written in calendars: times of the day, forbidden stretches, dates.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time};

use super::{CalendarError, DAY_MINUTES, MINUTE_MS};

/// Part of a day in local time: from `start` up to (not including) `end`, whole minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: u16,
    end: u16,
}

impl TimeRange {
    /// A range from minute `start` to minute `end` after midnight (`end` up to 1440, exclusive).
    pub fn new(start: u16, end: u16) -> Result<Self, CalendarError> {
        if start < end && end <= DAY_MINUTES {
            Ok(Self { start, end })
        } else {
            Err(CalendarError(format!(
                "minutes {start}..{end} are not a range within one day; expected 0 <= start < end <= 1440"
            )))
        }
    }

    /// First minute of the day in the range.
    pub fn start_minute(self) -> u16 {
        self.start
    }

    /// First minute of the day after the range.
    pub fn end_minute(self) -> u16 {
        self.end
    }

    /// Is minute-of-day `minute` inside?
    pub fn contains_minute(self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }

    /// Do the two ranges share a minute? (Ranges that only touch do not.)
    pub fn overlaps(self, other: TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub(super) fn start_ms(self) -> i64 {
        i64::from(self.start) * MINUTE_MS
    }

    pub(super) fn end_ms(self) -> i64 {
        i64::from(self.end) * MINUTE_MS
    }
}

impl FromStr for TimeRange {
    type Err = CalendarError;

    /// `"HH:MM-HH:MM"`, the end exclusive and at most `24:00`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            CalendarError(format!(
                "`{s}` is not a time range; expected a time range like \"09:00-12:00\""
            ))
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let start = clock_minute(a.trim())
            .filter(|m| *m < DAY_MINUTES)
            .ok_or_else(bad)?;
        let end = clock_minute(b.trim()).ok_or_else(bad)?;
        if start >= end {
            return Err(CalendarError(format!(
                "`{s}` does not end after it starts; expected start < end within one day, like \"09:00-12:00\" (split a range that crosses midnight at 24:00)"
            )));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = (self.start, self.end);
        write!(f, "{:02}:{:02}-{:02}:{:02}", a / 60, a % 60, b / 60, b % 60)
    }
}

/// `HH:MM` (00:00 to 24:00) as minutes after midnight.
fn clock_minute(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let minute = h * 60 + m;
    (m < 60 && minute <= DAY_MINUTES).then_some(minute)
}

/// A forbidden stretch of local time, from `start` up to (not including) `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForbiddenRange {
    /// First forbidden local date and time.
    pub start: DateTime,
    /// First allowed local date and time after the range.
    pub end: DateTime,
}

impl FromStr for ForbiddenRange {
    type Err = CalendarError;

    /// `"2026-10-01"`, `"2026-10-01..2026-10-07"` (whole days, both included) or
    /// `"2026-11-11T12:00..2026-11-11T14:00"` (from the first time up to the second).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (a, b) = s.split_once("..").unwrap_or((s, s));
        let start = local_point(a.trim(), false, s)?;
        let end = local_point(b.trim(), true, s)?;
        if start >= end {
            return Err(CalendarError(format!(
                "`{s}` does not end after it starts; expected an earlier start, like \"2026-10-01..2026-10-07\""
            )));
        }
        Ok(Self { start, end })
    }
}

/// A date (its midnight, or the next midnight for an inclusive end) or a `DATE"T"HH:MM`.
fn local_point(s: &str, end: bool, whole: &str) -> Result<DateTime, CalendarError> {
    let bad = || {
        CalendarError(format!(
            "`{whole}` is not a date range; expected dates like \"2026-10-01..2026-10-07\" or times like \"2026-11-11T12:00..2026-11-11T14:00\""
        ))
    };
    match s.split_once('T') {
        None => {
            let date = parse_date(s)?;
            match end {
                false => Ok(date.to_datetime(Time::midnight())),
                true => date
                    .tomorrow()
                    .map(|d| d.to_datetime(Time::midnight()))
                    .map_err(|_| bad()),
            }
        }
        Some((d, t)) => {
            let date = parse_date(d)?;
            let minute = clock_minute(t)
                .filter(|m| *m < DAY_MINUTES)
                .ok_or_else(bad)?;
            let (h, m) = ((minute / 60) as i8, (minute % 60) as i8);
            Ok(date.to_datetime(Time::constant(h, m, 0, 0)))
        }
    }
}

/// A calendar date written `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, CalendarError> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let bad = |why: &str| {
        CalendarError(format!(
            "`{s}` is not a date{why}; expected YYYY-MM-DD, like \"2026-10-01\""
        ))
    };
    if !shape {
        return Err(bad(""));
    }
    let (y, m, d) = (s[..4].parse(), s[5..7].parse(), s[8..].parse());
    match (y, m, d) {
        (Ok(y), Ok(m), Ok(d)) => Date::new(y, m, d).map_err(|_| bad(" of the calendar")),
        _ => Err(bad("")),
    }
}
