//! The shipped examples, the example in FORMAT.md and the JSON Schema.

use std::path::Path;

use super::workspace;
use crate::calendar::{CallWindow, Holidays};
use crate::caller_id::CallerIdStrategy;
use crate::result::CallResult;
use crate::spec::{
    Country, FollowUpAction, SpecIssue, campaign_json_schema, holidays_json_schema, load_campaign,
    load_campaign_text, parse_campaign,
};

/// Unix ms of a Shanghai local time like "2026-02-14T09:30".
fn shanghai(local: &str) -> i64 {
    let dt: jiff::civil::DateTime = local.parse().unwrap();
    dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
        .as_millisecond()
}

#[test]
fn insurance_renewal_example_loads_with_its_holidays() {
    let path = workspace().join("examples/campaigns/insurance-renewal.toml");
    let c = load_campaign(&path).unwrap_or_else(|e| panic!("{e}"));
    let dir = workspace().join("examples/campaigns");
    assert_eq!(
        (c.name.as_str(), c.trunk.as_str(), c.weight),
        ("insurance-renewal", "carrier", 2)
    );
    assert_eq!(
        c.dialogue.default.plugin,
        dir.join("../../plugins/dist/flow.wasm")
    );
    assert_eq!(
        c.dialogue.default.flow,
        Some(dir.join("../flows/insurance-en.toml"))
    );
    assert!(
        c.dialogue.default.plugin.exists() && c.dialogue.default.flow.as_ref().unwrap().exists()
    );
    let afternoon = c.dialogue.at(shanghai("2026-03-02T14:00"));
    assert_eq!(afternoon.flow, Some(dir.join("../flows/insurance-zh.toml")));
    assert_eq!(
        afternoon.fallback_prompt, c.dialogue.default.fallback_prompt,
        "inherited"
    );
    assert_eq!(
        c.dialogue.at(shanghai("2026-03-02T10:00")),
        &c.dialogue.default
    );
    assert_eq!(
        (c.limits.max_concurrent, c.limits.calls_per_second),
        (Some(20), Some(2.0))
    );
    assert_eq!(
        (c.ring_timeout_ms, c.slot_interval_ms, c.recording),
        (30_000, 2_000, true)
    );
    assert_eq!(c.blacklist_groups, ["dnc", "complaints"]);
    assert_eq!(c.variables["product"], "car insurance");
    let busy = c.redial.rules[&CallResult::Busy];
    assert_eq!((busy.delay_ms, busy.max_attempts), (600_000, 3));
    assert_eq!(c.redial.rules.len(), 4);
    assert_eq!(c.stop.max_leads_per_day, Some(50));
    assert_eq!(c.stop.min_connect_rate, Some((50, 0.05)));
    assert_eq!(c.follow_up.len(), 2);
    assert_eq!(
        c.follow_up[1].action,
        FollowUpAction::Blacklist("dnc".into())
    );
    assert_eq!(
        c.webhook.as_ref().unwrap().secret_env.as_deref(),
        Some("VOXGATE_WEBHOOK_SECRET")
    );
    assert_eq!(c.background.as_ref().unwrap().gain_db, -18.0);
    assert!(
        c.post_call.analysis.as_ref().unwrap().exists()
            && c.post_call.crm.as_ref().unwrap().exists()
    );
    assert_eq!(c.caller_id.numbers.len(), 3);
    assert!(c.numbers.is_empty());
    assert_eq!(c.source_text, std::fs::read_to_string(&path).unwrap());
    // The holiday file is attached: the Spring Festival is off, its make-up Saturday worked.
    assert_eq!(c.calendar.holidays().name, "China 2026");
    assert!(!c.calendar.is_open(shanghai("2026-02-16T10:00")));
    assert!(c.calendar.is_open(shanghai("2026-02-14T15:00")));
    assert!(
        !c.calendar.is_open(shanghai("2026-11-11T12:30")),
        "forbidden lunch rush"
    );
    let next = c.calendar.next_open(shanghai("2026-02-14T18:00")).unwrap();
    assert_eq!(next, shanghai("2026-02-24T09:00"));
}

#[test]
fn survey_example_parses() {
    let dir = workspace().join("examples/campaigns");
    let text = std::fs::read_to_string(dir.join("survey.toml")).unwrap();
    let c = parse_campaign(&text, "survey.toml", &dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.name, "dtmf-survey");
    assert_eq!(
        c.dialogue.default.flow,
        Some(dir.join("../flows/dtmf-survey.toml"))
    );
    assert!(c.dialogue.default.flow.as_ref().unwrap().exists());
    assert_eq!(c.caller_id.strategy, CallerIdStrategy::SameRegion);
    assert_eq!(
        c.caller_id_regions,
        Some(dir.join("../../engine/numbers/regions-example.csv"))
    );
    assert!(
        !c.recording && c.calendar.holidays().days_off.is_empty(),
        "not attached by parse"
    );
    assert_eq!(c.holidays_file, Some(dir.join("../holidays/cn-2026.toml")));
    assert_eq!(c.stop.lead_levels, ["A"]);
}

#[test]
fn china_2026_holiday_calendar() {
    let path = workspace().join("examples/holidays/cn-2026.toml");
    let h = Holidays::parse(&std::fs::read_to_string(&path).unwrap(), "cn-2026.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.days_off.len(), 3 + 9 + 3 + 5 + 3 + 3 + 7);
    assert_eq!(h.workdays.len(), 6);
    assert_eq!(h.workdays[5].like, jiff::civil::Weekday::Friday);
    assert!(h.workdays.windows(2).all(|w| w[0].date < w[1].date));
    for day in &h.days_off {
        assert_eq!(day.year(), 2026);
    }
}

#[test]
fn load_reports_unreadable_files() {
    let e = load_campaign(Path::new("/nonexistent/c.toml")).unwrap_err();
    assert!(
        e.0[0]
            .to_string()
            .starts_with("/nonexistent/c.toml:1:1: cannot read the campaign file"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("voxgate-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.toml");
    let text = super::text("holidays = \"missing.toml\"", "");
    std::fs::write(&file, &text).unwrap();
    let e = load_campaign(&file).unwrap_err();
    let issue: &SpecIssue = &e.0[0];
    assert_eq!((issue.line, issue.column), (4, 12), "{e}");
    assert!(issue.message.starts_with("holidays: cannot read"), "{e}");
    std::fs::write(dir.join("missing.toml"), "holidays = [\"2026-13-01\"]\n").unwrap();
    let e = load_campaign(&file).unwrap_err();
    assert!(
        e.0[0].origin.ends_with("missing.toml") && e.0[0].column == 13,
        "{e}"
    );
    std::fs::write(dir.join("missing.toml"), "holidays = [\"2026-03-02\"]\n").unwrap();
    let c = load_campaign(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        c.calendar.holidays().name.ends_with("missing.toml"),
        "named by the file"
    );
    let from_api = load_campaign_text(&text, "api", &dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_api.calendar, c.calendar);
    let e = load_campaign_text(&text, "api", Path::new("/nonexistent")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("error: api:4:12: holidays: cannot read `/nonexistent/missing.toml`"),
        "{e}"
    );
    assert!(
        !c.calendar.is_open(shanghai("2026-03-02T10:00"))
            && c.calendar.is_open(shanghai("2026-03-03T10:00"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The full example of FORMAT.md (the ```toml block after "## Full example") parses.
#[test]
fn the_format_document_example_parses() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("FORMAT.md")).unwrap();
    let after = doc
        .split("## Full example")
        .nth(1)
        .expect("a full example section");
    let block = after
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let c = parse_campaign(block, "FORMAT.md", Path::new("examples/campaigns"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.numbers.len(), 1);
    assert_eq!(c.numbers[0].country, Country::China);
    assert_eq!(c.caller_id.strategy, CallerIdStrategy::SameRegion);
    assert!(c.dialogue.scheduled.len() == 1 && c.post_call.crm.is_some());
}

#[test]
fn the_schema_describes_every_key() {
    let schema = campaign_json_schema();
    let properties = schema["properties"].as_object().expect("properties");
    let keys = [
        "name",
        "trunk",
        "weight",
        "timezone",
        "holidays",
        "forbidden",
        "recording",
        "ring_timeout",
        "slot_interval",
        "max_concurrent",
        "calls_per_second",
        "blacklist_groups",
        "variables",
        "windows",
        "dialogue",
        "numbers",
        "caller_id",
        "redial",
        "stop",
        "follow_up",
        "webhook",
        "background",
        "post_call",
        "speech",
    ];
    assert_eq!(properties.len(), keys.len());
    for key in keys {
        let description = properties[key]["description"].as_str().unwrap_or_default();
        assert!(!description.is_empty(), "{key} has no description");
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for key in ["name", "trunk", "timezone", "windows", "dialogue"] {
        assert!(required.contains(&key), "{key} required: {required:?}");
    }
    assert_eq!(
        properties.get("timezone").and_then(|t| t["type"].as_str()),
        Some("string")
    );
    let text = serde_json::to_string(&schema).unwrap();
    for nested in [
        "fallback_prompt",
        "phone_column",
        "max_concurrent_per_number",
        "max_attempts",
        "min_connect_rate",
        "secret_env",
        "gain_db",
        "analysis",
        "between",
    ] {
        assert!(
            text.contains(&format!("\"{nested}\"")),
            "{nested} missing from the schema"
        );
    }
    // Every top-level key of the shipped examples is in the schema.
    for file in ["insurance-renewal.toml", "survey.toml"] {
        let example =
            std::fs::read_to_string(workspace().join("examples/campaigns").join(file)).unwrap();
        let table: toml::Table = toml::from_str(&example).unwrap();
        for key in table.keys() {
            assert!(properties.contains_key(key), "{file}: {key}");
        }
    }
    let holidays = holidays_json_schema();
    assert!(holidays["properties"]["workdays"].is_object(), "{holidays}");
}
