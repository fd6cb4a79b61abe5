//! The holiday calendar file: days off and make-up working days, shared by many campaigns.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::issue::{Report, SpecErrors, read_toml};
use super::values::weekday;
use crate::calendar::{Holidays, MakeUpDay, parse_date};

/// The longest holiday range accepted, in days.
const MAX_RANGE_DAYS: i32 = 366;

/// A holiday calendar (voxgate): days with no calls and make-up working days.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "voxgate holiday calendar")]
pub(crate) struct RawHolidays {
    /// What the calendar is, e.g. "China 2026" (default: the file name).
    pub name: Option<String>,
    /// Days off: single dates "2026-01-01" or inclusive ranges "2026-02-15..2026-02-23".
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub holidays: Vec<Spanned<String>>,
    /// Make-up working days (调休).
    #[serde(default)]
    #[schemars(with = "Vec<RawWorkday>")]
    pub workdays: Vec<Spanned<RawWorkday>>,
}

/// A day worked like a weekday.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkday {
    /// The date, e.g. "2026-02-14".
    #[schemars(with = "String")]
    pub date: Option<Spanned<String>>,
    /// Whose call windows apply: "monday" (default) to "sunday".
    #[schemars(with = "Option<String>")]
    pub like: Option<Spanned<String>>,
}

impl Holidays {
    /// Parse and check a holiday calendar file. `origin` names it in messages.
    ///
    /// Every error is reported as `origin:line:column: what was expected`.
    pub fn parse(text: &str, origin: &str) -> Result<Holidays, SpecErrors> {
        let mut report = Report::new(origin, text);
        let Some((raw, _)) = read_toml::<RawHolidays>(&mut report) else {
            return Err(report.into_errors());
        };
        let mut days_off = Vec::new();
        for entry in &raw.holidays {
            match day_range(entry.get_ref().trim()) {
                Ok((first, last)) => days_off.extend(days(first, last)),
                Err(e) => report.error(entry.span(), format!("holidays: {e}")),
            }
        }
        days_off.sort_unstable();
        days_off.dedup();
        let mut workdays: Vec<MakeUpDay> = Vec::new();
        for entry in &raw.workdays {
            let w = entry.get_ref();
            let Some(date) = &w.date else {
                report.error(
                    entry.span(),
                    "workdays: missing `date`; expected the worked day, e.g. date = \"2026-02-14\"",
                );
                continue;
            };
            let like = match &w.like {
                None => Some(Weekday::Monday),
                Some(l) => weekday(l.get_ref()).or_else(|| {
                    report.error(l.span(), format!("workdays.like: `{}` is not a weekday; expected monday, tuesday, wednesday, thursday, friday, saturday or sunday", l.get_ref()));
                    None
                }),
            };
            let day = match parse_date(date.get_ref().trim()) {
                Ok(day) if days_off.binary_search(&day).is_ok() => {
                    report.error(
                        date.span(),
                        format!("workdays: {day} is also a holiday; expected a day that is worked"),
                    );
                    None
                }
                Ok(day) if workdays.iter().any(|m| m.date == day) => {
                    report.error(date.span(), format!("workdays: {day} is listed twice"));
                    None
                }
                Ok(day) => Some(day),
                Err(e) => {
                    report.error(date.span(), format!("workdays: {e}"));
                    None
                }
            };
            if let (Some(date), Some(like)) = (day, like) {
                workdays.push(MakeUpDay { date, like });
            }
        }
        workdays.sort_unstable_by_key(|m| m.date);
        let holidays = Holidays {
            name: raw.name.unwrap_or_else(|| origin.to_owned()),
            days_off,
            workdays,
        };
        report.finish(holidays)
    }
}

/// `"2026-01-01"` or `"2026-02-15..2026-02-23"` (inclusive).
fn day_range(s: &str) -> Result<(Date, Date), String> {
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let first = parse_date(a.trim()).map_err(|e| e.0)?;
    let last = parse_date(b.trim()).map_err(|e| e.0)?;
    let length = (last - first).get_days();
    if first > last {
        Err(format!(
            "`{s}` runs backwards; expected the first day before the last, like \"2026-02-15..2026-02-23\""
        ))
    } else if length >= MAX_RANGE_DAYS {
        Err(format!(
            "`{s}` is longer than {MAX_RANGE_DAYS} days; expected a holiday range, like \"2026-02-15..2026-02-23\""
        ))
    } else {
        Ok((first, last))
    }
}

/// Every day from `first` to `last`, both included.
fn days(first: Date, last: Date) -> impl Iterator<Item = Date> {
    first.series(1i32.days()).take_while(move |d| *d <= last)
}
