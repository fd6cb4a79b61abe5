//! Every validation rule and every default.

use std::path::PathBuf;

use super::{error, errors, parse, text};
use crate::calendar::{CallWindow, Holidays};
use crate::result::CallResult;

#[test]
fn defaults() {
    let c = parse(&text("", ""));
    assert_eq!(
        (c.weight, c.recording, c.ring_timeout_ms, c.slot_interval_ms),
        (1, true, 30_000, 0)
    );
    assert_eq!(
        (c.limits.max_concurrent, c.limits.calls_per_second),
        (Some(10), Some(1.0))
    );
    assert_eq!(c.stop.lead_levels, ["A"]);
    assert_eq!(
        (c.stop.max_leads_per_day, c.stop.min_connect_rate),
        (None, None)
    );
    assert!(c.redial.rules.is_empty() && c.follow_up.is_empty() && c.webhook.is_none());
    assert!(
        c.caller_id.numbers.is_empty() && c.caller_id_regions.is_none() && c.background.is_none()
    );
    assert_eq!(c.dialogue.default.plugin, PathBuf::from("/base/flow.wasm"));
    assert!(c.holidays_file.is_none() && c.calendar.forbidden().is_empty());
}

#[test]
fn names_trunks_and_time_zones() {
    error(
        &text("", "").replace("name = \"t\"", "name = \"\""),
        "name: `` is not a campaign id",
    );
    error(
        &text("", "").replace("name = \"t\"", &format!("name = \"{}\"", "a".repeat(65))),
        "is not a campaign id",
    );
    error(
        &text("", "").replace("trunk = \"carrier\"", "trunk = \" \""),
        "trunk: empty",
    );
    let e = error(
        &text("", "").replace("Asia/Shanghai", "Mars/Olympus"),
        "unknown time zone `Mars/Olympus`",
    );
    assert!(e.starts_with("c.toml:3:12:"), "{e}");
    assert_eq!(
        parse(&text("", "").replace("Asia/Shanghai", "America/New_York"))
            .calendar
            .time_zone()
            .iana_name(),
        Some("America/New_York")
    );
}

#[test]
fn windows_rules() {
    let with = |windows: &str| text("", "").replace("mon-fri = [\"09:00-18:00\"]", windows);
    error(
        &with("weekdays = [\"09:00-18:00\"]"),
        "windows: `weekdays` is not a day; expected mon, tue",
    );
    error(&with("fri-mon = [\"09:00-18:00\"]"), "runs backwards");
    error(
        &with("mon = [\"18:00-09:00\"]"),
        "does not end after it starts",
    );
    error(
        &with("mon = [\"09:00-12:00\", \"11:00-13:00\"]"),
        "`11:00-13:00` overlaps `09:00-12:00`",
    );
    let e = error(
        &with("mon-fri = [\"09:00-12:00\"]\nwed = [\"10:00-11:00\"]"),
        "overlaps",
    );
    assert!(e.starts_with("c.toml:7:8: windows.wed"), "{e}");
    error(
        &with("mon = []"),
        "windows: no call window; expected at least one range",
    );
    let c = parse(&with(
        "mon-fri = [\"09:00-12:00\", \"13:00-18:00\"]\nsat-sun = [\"10:00-12:00\"]\nsun = [\"20:00-24:00\"]",
    ));
    let w = c.calendar.windows();
    assert_eq!(w.day(jiff::civil::Weekday::Wednesday).len(), 2);
    assert_eq!(w.day(jiff::civil::Weekday::Sunday).len(), 2);
}

#[test]
fn forbidden_rules() {
    let e = error(
        &text(
            "forbidden = [\"2026-10-01\", \"2026-10-07..2026-10-01\"]",
            "",
        ),
        "forbidden: `2026-10-07..2026-10-01` does not end after it starts",
    );
    assert!(e.starts_with("c.toml:4:28:"), "{e}");
    error(
        &text("forbidden = [\"next week\"]", ""),
        "forbidden: `next week` is not a date",
    );
    let c = parse(&text(
        "forbidden = [\"2026-03-02\", \"2026-03-03T10:00..2026-03-03T11:00\"]",
        "",
    ));
    assert_eq!(c.calendar.forbidden().len(), 2);
    // Monday 2026-03-02 10:00 Shanghai is 02:00 UTC; Tuesday 10:30 is 02:30 UTC.
    assert!(!c.calendar.is_open(1_772_416_800_000));
    assert!(
        !c.calendar
            .is_open(1_772_416_800_000 + 86_400_000 + 1_800_000)
    );
    assert!(
        c.calendar
            .is_open(1_772_416_800_000 + 86_400_000 + 3_600_000)
    );
}

#[test]
fn limits_and_durations() {
    error(
        &text("weight = 0", ""),
        "weight: 0 is out of range; expected at least 1",
    );
    error(
        &text("max_concurrent = -3", ""),
        "max_concurrent: -3 is out of range",
    );
    for cps in ["0.0", "-1.0", "1000.5", "nan"] {
        error(
            &text(&format!("calls_per_second = {cps}"), ""),
            "calls_per_second:",
        );
    }
    let c = parse(&text(
        "calls_per_second = 1000\nweight = 3\nmax_concurrent = 1",
        "",
    ));
    assert_eq!(
        (c.limits.calls_per_second, c.weight, c.limits.max_concurrent),
        (Some(1000.0), 3, Some(1))
    );
    error(
        &text("ring_timeout = \"0s\"", ""),
        "ring_timeout: `0s` is out of range; expected \"1s\" to \"10m\"",
    );
    error(&text("ring_timeout = \"11m\"", ""), "out of range");
    error(
        &text("slot_interval = \"2 seconds\"", ""),
        "slot_interval: `2 seconds` is not a duration",
    );
    let c = parse(&text(
        "ring_timeout = \"45s\"\nslot_interval = \"500ms\"\nrecording = false",
        "",
    ));
    assert_eq!(
        (c.ring_timeout_ms, c.slot_interval_ms, c.recording),
        (45_000, 500, false)
    );
}

#[test]
fn redial_rules() {
    let e = error(
        &text("", "[redial]\nbuzy = { delay = \"10m\", max_attempts = 3 }"),
        "redial: unknown call result `buzy` (expected one of: answered, busy, no_answer",
    );
    assert!(e.starts_with("c.toml:10:1:"), "{e}");
    error(
        &text("", "[redial]\nbusy = { delay = \"10m\", max_attempts = 0 }"),
        "redial.busy.max_attempts: 0 is out of range; expected 1 to 20",
    );
    error(
        &text(
            "",
            "[redial]\nbusy = { delay = \"10m\", max_attempts = 21 }",
        ),
        "expected 1 to 20",
    );
    error(
        &text("", "[redial]\nbusy = { max_attempts = 2 }"),
        "redial.busy: missing `delay`",
    );
    error(
        &text("", "[redial]\nbusy = { delay = \"1m\" }"),
        "redial.busy: missing `max_attempts`",
    );
    error(
        &text("", "[redial]\nbusy = { delay = \"-1m\", max_attempts = 2 }"),
        "redial.busy.delay: `-1m` is not a duration",
    );
    let c = parse(&text(
        "",
        "[redial]\nbusy = { delay = \"0s\", max_attempts = 20 }\nno_answer = { delay = \"1d\", max_attempts = 1 }",
    ));
    assert_eq!(c.redial.rules[&CallResult::Busy].delay_ms, 0);
    assert_eq!(c.redial.rules[&CallResult::NoAnswer].delay_ms, 86_400_000);
}

#[test]
fn blacklist_groups_and_variables() {
    error(
        &text("blacklist_groups = [\"Do Not Call\"]", ""),
        "blacklist_groups: `Do Not Call` is not a group name",
    );
    error(
        &text("blacklist_groups = [\"dnc\", \"dnc\"]", ""),
        "`dnc` is listed twice",
    );
    let e = errors(&text("variables = { product = 3 }", ""));
    assert!(
        e[0].contains("invalid type: integer `3`, expected a string"),
        "{e:?}"
    );
    let c = parse(&text("variables = { \"客户\" = \"张三\" }", ""));
    assert_eq!(c.variables["客户"], "张三");
}

#[test]
fn holidays_attach_to_the_calendar() {
    let c = parse(&text("holidays = \"../holidays/cn.toml\"", ""));
    assert_eq!(
        c.holidays_file,
        Some(PathBuf::from("/base/../holidays/cn.toml"))
    );
    error(
        &text("holidays = \"cn.csv\"", ""),
        "holidays: `cn.csv` is not a holiday calendar file",
    );
    let monday_10h = 1_772_416_800_000;
    assert!(c.calendar.is_open(monday_10h));
    let holidays = Holidays::parse("holidays = [\"2026-03-02..2026-03-03\"]\n[[workdays]]\ndate = \"2026-03-07\"\nlike = \"tue\"\n", "h.toml").unwrap();
    assert_eq!(holidays.days_off.len(), 2);
    let last_days = Holidays::parse("holidays = [\"9999-12-30..9999-12-31\"]", "h.toml").unwrap();
    assert_eq!(last_days.days_off.len(), 2);
    let c = c.with_holidays(holidays);
    assert!(!c.calendar.is_open(monday_10h));
    assert!(
        c.calendar.is_open(monday_10h + 5 * 86_400_000),
        "Saturday worked like a Tuesday"
    );
}
