//! Error reporting: every error, each at its line and column.

use std::path::Path;

use super::{errors, text};
use crate::calendar::Holidays;
use crate::spec::parse_campaign;

#[test]
fn every_error_is_reported_at_its_line_and_column() {
    let text = r#"name = "Bad Name"
trunk = "carrier"
timezone = "Asia/Shangai"
max_concurrent = 0

[windows]
mon-fri = ["09:00-12:00", "13:00-12:00"]
sun = ["9am-5pm"]

[dialogue]
plugin = "flow.wasm"

[redial]
buzy = { delay = "10m", max_attempts = 3 }
no_answer = { delay = "1 hour", max_attempts = 30 }
"#;
    let errors = errors(text);
    assert_eq!(errors.len(), 8, "{errors:#?}");
    let expect = [
        "c.toml:1:8: name: `Bad Name` is not a campaign id; expected 1 to 64 characters of a-z, 0-9, - and _",
        "c.toml:3:12: unknown time zone `Asia/Shangai`; expected an IANA name like \"Asia/Shanghai\"",
        "c.toml:4:18: max_concurrent: 0 is out of range; expected at least 1",
        "c.toml:7:27: windows.mon-fri: `13:00-12:00` does not end after it starts",
        "c.toml:8:8: windows.sun: `9am-5pm` is not a time range; expected a time range like \"09:00-12:00\"",
        "c.toml:14:1: redial: unknown call result `buzy` (expected one of: answered, busy, no_answer,",
        "c.toml:15:23: redial.no_answer.delay: `1 hour` is not a duration; expected a whole number and a unit like \"500ms\"",
        "c.toml:15:48: redial.no_answer.max_attempts: 30 is out of range; expected 1 to 20",
    ];
    for (got, want) in errors.iter().zip(expect) {
        assert!(got.starts_with(want), "got  {got}\nwant {want}...");
    }
}

#[test]
fn shape_errors_in_several_sections_are_all_reported() {
    let text = r#"name = "t"
trunk = "carrier"
timezone = "Asia/Shanghai"
weight = "heavy"
colour = "red"
[windows]
mon = ["09:00-12:00"]
[dialogue]
plugin = "flow.wasm"
flw = "x.toml"
"#;
    let errors = errors(text);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors[0].starts_with("c.toml:4:10: invalid type: string \"heavy\""),
        "{}",
        errors[0]
    );
    assert!(
        errors[1]
            .starts_with("c.toml:5:1: unknown field `colour`, expected one of `name`, `trunk`"),
        "{}",
        errors[1]
    );
    assert!(errors[2].starts_with("c.toml:10:1: unknown field `flw`, expected one of `plugin`, `flow`, `fallback_prompt`, `schedule`"), "{}", errors[2]);
}

#[test]
fn syntax_errors_are_all_reported() {
    let errors = errors("name = \"t\nwindows = [\ntrunk = = \"x\"\n");
    assert!(errors.len() >= 2, "{errors:#?}");
    assert!(errors[0].starts_with("c.toml:1:"), "{errors:#?}");
    assert!(
        errors.iter().all(|e| !e.contains('\n')),
        "one line each: {errors:#?}"
    );
}

#[test]
fn missing_keys_are_reported_at_the_start_of_the_file() {
    let errors = errors("recording = false\n");
    let want = [
        "missing `name`",
        "missing `trunk`",
        "missing `timezone`",
        "missing `[windows]`",
        "missing `[dialogue]`",
    ];
    assert_eq!(errors.len(), want.len(), "{errors:#?}");
    for w in want {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("c.toml:1:1: ") && e.contains(w)),
            "{w}: {errors:#?}"
        );
    }
}

#[test]
fn errors_display_one_per_line_with_origin() {
    let text = text("weight = 0\ncalls_per_second = 0.0", "");
    let e = parse_campaign(&text, "campaigns/x.toml", Path::new(".")).unwrap_err();
    let shown = e.to_string();
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert!(
        shown.starts_with("error: campaigns/x.toml:4:10: weight: 0 is out of range"),
        "{shown}"
    );
    assert!(shown.contains("error: campaigns/x.toml:5:20: calls_per_second: 0 is out of range; expected more than 0 and at most 1000"), "{shown}");
}

#[test]
fn holiday_file_errors_are_located() {
    let text = r#"name = "x"
holidays = ["2026-01-01", "2026-02-30", "2026-03-09..2026-03-01"]
[[workdays]]
date = "2026-01-01"
[[workdays]]
date = "2026-01-04"
like = "someday"
[[workdays]]
like = "monday"
"#;
    let e = Holidays::parse(text, "h.toml").unwrap_err();
    let got: Vec<String> = e.0.iter().map(ToString::to_string).collect();
    assert_eq!(got.len(), 5, "{got:#?}");
    assert!(
        got[0].starts_with("h.toml:2:27: holidays: `2026-02-30` is not a date of the calendar"),
        "{got:#?}"
    );
    assert!(
        got[1].starts_with("h.toml:2:41: holidays: `2026-03-09..2026-03-01` runs backwards"),
        "{got:#?}"
    );
    assert!(
        got[2].starts_with("h.toml:4:8: workdays: 2026-01-01 is also a holiday"),
        "{got:#?}"
    );
    assert!(
        got[3].starts_with("h.toml:7:8: workdays.like: `someday` is not a weekday"),
        "{got:#?}"
    );
    assert!(
        got[4].starts_with("h.toml:8:1: workdays: missing `date`"),
        "{got:#?}"
    );
    let e = Holidays::parse("name = \"x\"\nholiday = []\n", "h.toml").unwrap_err();
    assert!(
        e.0[0]
            .message
            .contains("unknown field `holiday`, expected one of `name`, `holidays`, `workdays`"),
        "{e}"
    );
}
