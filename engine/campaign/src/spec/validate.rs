//! From the written file ([`super::raw`]) to a checked [`Campaign`], collecting every error
//! with its place. The sections with their own rules are in [`parts`].

mod parts;

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use toml::Spanned;

use super::issue::{Document, Report, SpecErrors, read_toml};
use super::model::{Campaign, PostCall};
use super::raw::{RawCampaign, RawRedial};
use super::values::{day_key, duration_ms, has_extension, is_id};
use crate::admission::Limits;
use crate::calendar::{Calendar, ForbiddenRange, TimeRange, WeeklyWindows};
use crate::redial::{RedialPolicy, RedialRule};
use crate::result::CallResult;

const DEFAULT_MAX_CONCURRENT: i64 = 10;
const DEFAULT_CALLS_PER_SECOND: f64 = 1.0;
const MAX_CALLS_PER_SECOND: f64 = 1000.0;
const DEFAULT_RING_TIMEOUT_MS: i64 = 30_000;
const RING_TIMEOUT_MS: RangeInclusive<i64> = 1_000..=600_000;
const MAX_ATTEMPTS: RangeInclusive<i64> = 1..=20;

/// A checked campaign and where its `holidays` path is written (for errors reading that file).
pub(crate) struct Parsed {
    pub campaign: Campaign,
    pub holidays_span: Range<usize>,
}

/// Parse and check a campaign file; see [`super::parse_campaign`].
pub(crate) fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Parsed, SpecErrors> {
    let mut report = Report::new(origin, text);
    let Some((raw, doc)) = read_toml::<RawCampaign>(&mut report) else {
        return Err(report.into_errors());
    };
    let mut checker = Checker {
        report,
        doc,
        base_dir,
    };
    let parsed = checker.campaign(raw, text);
    checker.report.finish(parsed)
}

pub(crate) struct Checker<'t, 'p> {
    pub report: Report<'t>,
    pub doc: Document<'t>,
    pub base_dir: &'p Path,
}

impl Checker<'_, '_> {
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.report.error(span, message);
    }

    /// The value of a required key, or an error at `span` saying what is missing.
    pub fn required<'v, T>(
        &mut self,
        value: &'v Option<Spanned<T>>,
        span: Range<usize>,
        message: &str,
    ) -> Option<&'v Spanned<T>> {
        if value.is_none() {
            self.error(span, message);
        }
        value.as_ref()
    }

    /// A path with one of `extensions`, resolved against the file's folder.
    pub fn path(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        extensions: &[&str],
        expected: &str,
    ) -> Option<PathBuf> {
        let text = value.get_ref().trim();
        if text.is_empty() || !has_extension(text, extensions) {
            self.error(value.span(), format!("{what}: `{text}` is not {expected}"));
            return None;
        }
        Some(self.base_dir.join(text))
    }

    /// An optional path; see [`Checker::path`].
    pub fn optional_path(
        &mut self,
        value: Option<&Spanned<String>>,
        what: &str,
        extensions: &[&str],
        expected: &str,
    ) -> Option<PathBuf> {
        value.and_then(|v| self.path(v, what, extensions, expected))
    }

    /// A whole number in `range`, as u32 (`range` must fit).
    pub fn count(
        &mut self,
        value: &Spanned<i64>,
        what: &str,
        range: RangeInclusive<i64>,
    ) -> Option<u32> {
        let n = *value.get_ref();
        if range.contains(&n)
            && let Ok(n) = u32::try_from(n)
        {
            return Some(n);
        }
        let expected = if *range.end() >= i64::from(u32::MAX) {
            format!("at least {}", range.start())
        } else {
            format!("{} to {}", range.start(), range.end())
        };
        self.error(
            value.span(),
            format!("{what}: {n} is out of range; expected {expected}"),
        );
        None
    }

    /// A duration in ms.
    pub fn duration(&mut self, value: &Spanned<String>, what: &str) -> Option<i64> {
        match duration_ms(value.get_ref().trim()) {
            Ok(ms) => Some(ms),
            Err(e) => {
                self.error(value.span(), format!("{what}: {e}"));
                None
            }
        }
    }

    fn campaign(&mut self, raw: RawCampaign, text: &str) -> Parsed {
        let name = self.name(&raw);
        let trunk = match self.required(&raw.trunk, 0..0, "missing `trunk`: expected the name of a trunk of the engine configuration, e.g. trunk = \"carrier\"") {
            Some(t) if t.get_ref().trim().is_empty() => {
                self.error(t.span(), "trunk: empty; expected the name of a trunk of the engine configuration");
                String::new()
            }
            Some(t) => t.get_ref().trim().to_owned(),
            None => String::new(),
        };
        let weight = raw
            .weight
            .as_ref()
            .map_or(Some(1), |w| {
                self.count(w, "weight", 1..=i64::from(u32::MAX))
            })
            .unwrap_or(1);
        let zone = self.zone(&raw);
        let windows = self.windows(&raw);
        let forbidden = self.forbidden(&raw.forbidden);
        let holidays_file = raw.holidays.as_ref().and_then(|h| {
            self.path(
                h,
                "holidays",
                &["toml"],
                "a holiday calendar file; expected a .toml file like \"../holidays/cn-2026.toml\"",
            )
        });
        let ring_timeout_ms = self.ring_timeout(&raw);
        let slot_interval_ms = raw
            .slot_interval
            .as_ref()
            .and_then(|s| self.duration(s, "slot_interval"))
            .unwrap_or(0);
        let limits = self.limits(&raw);
        let blacklist_groups = self.groups(&raw.blacklist_groups);
        let dialogue = self.dialogue(raw.dialogue.as_ref(), zone.clone());
        let numbers = raw.numbers.iter().filter_map(|n| self.numbers(n)).collect();
        let (caller_id, caller_id_regions) = self.caller_id(raw.caller_id.as_ref());
        let redial = self.redial(&raw.redial);
        let stop = self.stop(raw.stop.as_ref());
        let follow_up = raw
            .follow_up
            .iter()
            .filter_map(|f| self.follow_up(f))
            .collect();
        let webhook = raw.webhook.as_ref().and_then(|w| self.webhook(w));
        let background = raw.background.as_ref().and_then(|b| self.background(b));
        let post_call = raw
            .post_call
            .as_ref()
            .map_or_else(PostCall::default, |p| self.post_call(p));
        let speech = self.speech(&raw.speech);
        let campaign = Campaign {
            name,
            trunk,
            weight,
            calendar: Calendar::new(zone, windows, forbidden),
            holidays_file,
            recording: raw.recording.unwrap_or(true),
            ring_timeout_ms,
            slot_interval_ms,
            limits,
            blacklist_groups,
            variables: raw.variables,
            dialogue,
            numbers,
            caller_id,
            caller_id_regions,
            redial,
            stop,
            follow_up,
            webhook,
            background,
            post_call,
            speech,
            source_text: text.to_owned(),
        };
        Parsed {
            campaign,
            holidays_span: raw.holidays.map_or(0..0, |h| h.span()),
        }
    }

    fn name(&mut self, raw: &RawCampaign) -> String {
        let Some(name) = self.required(
            &raw.name,
            0..0,
            "missing `name`: expected the campaign id, e.g. name = \"insurance-renewal\"",
        ) else {
            return String::new();
        };
        if !is_id(name.get_ref()) {
            self.error(
                name.span(),
                format!("name: `{}` is not a campaign id; expected 1 to 64 characters of a-z, 0-9, - and _", name.get_ref()),
            );
        }
        name.get_ref().clone()
    }

    fn zone(&mut self, raw: &RawCampaign) -> TimeZone {
        let Some(tz) = self.required(
            &raw.timezone,
            0..0,
            "missing `timezone`: expected an IANA time zone, e.g. timezone = \"Asia/Shanghai\"",
        ) else {
            return TimeZone::UTC;
        };
        TimeZone::get(tz.get_ref().trim()).unwrap_or_else(|_| {
            self.error(
                tz.span(),
                format!("unknown time zone `{}`; expected an IANA name like \"Asia/Shanghai\" or \"America/New_York\"", tz.get_ref()),
            );
            TimeZone::UTC
        })
    }

    fn windows(&mut self, raw: &RawCampaign) -> WeeklyWindows {
        let mut windows = WeeklyWindows::default();
        let Some(table) = self.required(&raw.windows, 0..0, "missing `[windows]`: expected call windows per weekday, e.g. mon-fri = [\"09:00-12:00\", \"13:00-18:00\"]") else {
            return windows;
        };
        let mut entries: Vec<_> = table.get_ref().iter().collect();
        entries.sort_by_key(|(_, ranges)| ranges.span().start);
        let mut clean = true;
        for (key, ranges) in entries {
            let days = match day_key(key.trim()) {
                Ok(days) => days,
                Err(e) => {
                    let span = self.doc.key_span("windows", key);
                    self.error(span, format!("windows: {e}"));
                    clean = false;
                    continue;
                }
            };
            for range in ranges.get_ref() {
                let added = range
                    .get_ref()
                    .trim()
                    .parse::<TimeRange>()
                    .and_then(|r| days.iter().try_for_each(|d| windows.add(*d, r)));
                if let Err(e) = added {
                    self.error(range.span(), format!("windows.{key}: {e}"));
                    clean = false;
                }
            }
        }
        if clean && windows.is_empty() {
            self.error(table.span(), "windows: no call window; expected at least one range, e.g. mon-fri = [\"09:00-18:00\"]");
        }
        windows
    }

    fn forbidden(&mut self, raw: &[Spanned<String>]) -> Vec<ForbiddenRange> {
        raw.iter()
            .filter_map(|f| match f.get_ref().trim().parse::<ForbiddenRange>() {
                Ok(range) => Some(range),
                Err(e) => {
                    self.error(f.span(), format!("forbidden: {e}"));
                    None
                }
            })
            .collect()
    }

    fn ring_timeout(&mut self, raw: &RawCampaign) -> i64 {
        let Some(value) = &raw.ring_timeout else {
            return DEFAULT_RING_TIMEOUT_MS;
        };
        match self.duration(value, "ring_timeout") {
            Some(ms) if RING_TIMEOUT_MS.contains(&ms) => ms,
            Some(_) => {
                self.error(
                    value.span(),
                    format!(
                        "ring_timeout: `{}` is out of range; expected \"1s\" to \"10m\"",
                        value.get_ref()
                    ),
                );
                DEFAULT_RING_TIMEOUT_MS
            }
            None => DEFAULT_RING_TIMEOUT_MS,
        }
    }

    fn limits(&mut self, raw: &RawCampaign) -> Limits {
        let max_concurrent = match &raw.max_concurrent {
            Some(m) => self.count(m, "max_concurrent", 1..=i64::from(u32::MAX)),
            None => u32::try_from(DEFAULT_MAX_CONCURRENT).ok(),
        };
        let calls_per_second = match &raw.calls_per_second {
            Some(c) => {
                let cps = *c.get_ref();
                if cps > 0.0 && cps <= MAX_CALLS_PER_SECOND {
                    Some(cps)
                } else {
                    self.error(c.span(), format!("calls_per_second: {cps} is out of range; expected more than 0 and at most {MAX_CALLS_PER_SECOND}"));
                    None
                }
            }
            None => Some(DEFAULT_CALLS_PER_SECOND),
        };
        Limits {
            max_concurrent,
            calls_per_second,
        }
    }

    /// Group names, each once.
    pub fn groups(&mut self, raw: &[Spanned<String>]) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for g in raw {
            let name = g.get_ref();
            if !is_id(name) {
                self.error(g.span(), format!("blacklist_groups: `{name}` is not a group name; expected 1 to 64 characters of a-z, 0-9, - and _"));
            } else if groups.contains(name) {
                self.error(
                    g.span(),
                    format!("blacklist_groups: `{name}` is listed twice"),
                );
            } else {
                groups.push(name.clone());
            }
        }
        groups
    }

    fn redial(&mut self, raw: &BTreeMap<String, Spanned<RawRedial>>) -> RedialPolicy {
        let mut policy = RedialPolicy::default();
        for (key, rule) in raw {
            let result = match key.parse::<CallResult>() {
                Ok(result) => Some(result),
                Err(e) => {
                    let span = self.doc.key_span("redial", key);
                    self.error(span, format!("redial: {e}"));
                    None
                }
            };
            let r = rule.get_ref();
            let delay = self
                .required(
                    &r.delay,
                    rule.span(),
                    &format!(
                        "redial.{key}: missing `delay`; expected a duration, e.g. delay = \"10m\""
                    ),
                )
                .and_then(|d| self.duration(d, &format!("redial.{key}.delay")));
            let attempts = self
                .required(&r.max_attempts, rule.span(), &format!("redial.{key}: missing `max_attempts`; expected attempts in all, the first included, e.g. max_attempts = 3"))
                .and_then(|m| self.count(m, &format!("redial.{key}.max_attempts"), MAX_ATTEMPTS));
            if let (Some(result), Some(delay_ms), Some(max_attempts)) = (result, delay, attempts) {
                policy.rules.insert(
                    result,
                    RedialRule {
                        delay_ms,
                        max_attempts,
                    },
                );
            }
        }
        policy
    }
}
