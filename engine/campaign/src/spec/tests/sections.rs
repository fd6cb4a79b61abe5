//! Rules of the sections: dialogue, numbers, caller IDs, stop conditions, follow-ups,
//! webhook, background sound, post-call plugins.

use std::path::{Path, PathBuf};

use super::{error, parse, text};
use crate::caller_id::CallerIdStrategy;
use crate::spec::{Country, FollowUp, FollowUpAction};

#[test]
fn dialogue_rules() {
    let no_plugin = text("", "").replace("plugin = \"flow.wasm\"", "flow = \"f.toml\"");
    error(
        &no_plugin,
        "dialogue: missing `plugin`; expected the dialogue plugin",
    );
    error(
        &text("", "").replace("flow.wasm", "flow.so"),
        "dialogue.plugin: `flow.so` is not a plugin; expected a .wasm component",
    );
    error(
        &text("", "flow = \"f.json\""),
        "dialogue.flow: `f.json` is not a flow file",
    );
    error(
        &text("", "fallback_prompt = \"bye.txt\""),
        "is not a sound file",
    );
    let schedule = |a: &str, b: &str| {
        format!(
            "[[dialogue.schedule]]\nbetween = \"{a}\"\nplugin = \"a.wasm\"\n[[dialogue.schedule]]\nbetween = \"{b}\"\nplugin = \"b.wasm\"\nflow = \"b.toml\"\nfallback_prompt = \"b.wav\""
        )
    };
    error(
        &text("", &schedule("12:00-14:00", "13:00-15:00")),
        "dialogue.schedule: `13:00-15:00` overlaps `12:00-14:00`",
    );
    error(
        &text("", "[[dialogue.schedule]]\nplugin = \"a.wasm\""),
        "dialogue.schedule: missing `between`",
    );
    error(
        &text("", "[[dialogue.schedule]]\nbetween = \"12:00-13:00\""),
        "dialogue.schedule: missing `plugin`",
    );
    let c = parse(&text("", &schedule("12:00-14:00", "20:00-24:00")));
    // 2026-03-02T04:30Z is 12:30 in Shanghai; 13:00Z is 21:00; 02:00Z is 10:00.
    let day = 1_772_409_600_000;
    assert_eq!(
        c.dialogue.at(day + 4 * 3_600_000 + 1_800_000).plugin,
        Path::new("/base/a.wasm")
    );
    assert_eq!(
        c.dialogue.at(day + 13 * 3_600_000).fallback_prompt,
        Some(PathBuf::from("/base/b.wav"))
    );
    assert_eq!(
        c.dialogue.at(day + 2 * 3_600_000).plugin,
        Path::new("/base/flow.wasm")
    );
    assert_eq!(
        c.dialogue.at(day + 6 * 3_600_000).plugin,
        Path::new("/base/flow.wasm"),
        "14:00 is outside"
    );
}

#[test]
fn number_sources() {
    error(
        &text("", "[[numbers]]\nfile = \"leads.txt\""),
        "numbers.file: `leads.txt` is not a number list; expected a .csv or .xlsx file",
    );
    error(
        &text("", "[[numbers]]\nfile = \"leads.csv\"\nsheet = \"S1\""),
        "numbers.sheet: only an .xlsx file has sheets",
    );
    error(
        &text("", "[[numbers]]\nfile = \"leads.csv\"\ncountry = \"USA\""),
        "numbers.country: `USA` is not a country; expected \"CN\" or a calling code like \"+1\"",
    );
    error(
        &text("", "[[numbers]]\nshuffle = true"),
        "numbers: missing `file`",
    );
    error(
        &text("", "[[numbers]]\nfile = \"a.csv\"\nphone_column = \"\""),
        "numbers.phone_column: empty",
    );
    let c = parse(&text(
        "",
        "[[numbers]]\nfile = \"a.csv\"\n[[numbers]]\nfile = \"/data/b.XLSX\"\nsheet = \"S\"\nshuffle = true\ncountry = \"+1\"\nphone_column = \"tel\"",
    ));
    assert_eq!(c.numbers[0].file, PathBuf::from("/base/a.csv"));
    assert_eq!(
        (c.numbers[0].country, c.numbers[0].shuffle),
        (Country::China, false)
    );
    let b = &c.numbers[1];
    assert_eq!(b.file, PathBuf::from("/data/b.XLSX"), "absolute paths stay");
    assert_eq!(
        (
            b.country,
            b.shuffle,
            b.sheet.as_deref(),
            b.phone_column.as_deref()
        ),
        (Country::Other(1), true, Some("S"), Some("tel"))
    );
}

#[test]
fn caller_id_rules() {
    let e = error(
        &text(
            "",
            "[caller_id]\nnumbers = [\"021\"]\nstrategy = \"same_region\"",
        ),
        "caller_id: strategy \"same_region\" needs `regions`",
    );
    assert!(e.starts_with("c.toml:11:12:"), "{e}");
    error(
        &text("", "[caller_id]\nstrategy = \"nearest\""),
        "unknown strategy `nearest`; expected \"round_robin\", \"random\" or \"same_region\"",
    );
    error(
        &text("", "[caller_id]\nnumbers = [\"021-5000\"]"),
        "`021-5000` is not a phone number",
    );
    error(
        &text(
            "",
            "[caller_id]\nnumbers = [\"02150001000\", \"02150001000\"]",
        ),
        "is listed twice",
    );
    error(
        &text("", "[caller_id]\nmax_concurrent_per_number = 0"),
        "caller_id.max_concurrent_per_number: 0 is out of range",
    );
    error(
        &text("", "[caller_id]\nregions = \"r.txt\""),
        "caller_id.regions: `r.txt` is not a number-prefix table",
    );
    let c = parse(&text(
        "",
        "[caller_id]\nnumbers = [\"+12025550100\", \"02150001000\"]\nstrategy = \"random\"\nmax_concurrent_per_number = 2\nregions = \"r.csv\"",
    ));
    assert_eq!(c.caller_id.strategy, CallerIdStrategy::Random);
    assert_eq!(
        (
            c.caller_id.numbers.len(),
            c.caller_id.max_concurrent_per_number
        ),
        (2, Some(2))
    );
    assert!(c.caller_id.regions.is_empty(), "filled by the server");
    assert_eq!(c.caller_id_regions, Some(PathBuf::from("/base/r.csv")));
}

#[test]
fn stop_rules() {
    error(
        &text("", "[stop]\nmin_connect_rate = { last = 50, rate = 1.5 }"),
        "stop.min_connect_rate.rate: 1.5 is out of range; expected a share from 0 to 1",
    );
    error(
        &text("", "[stop]\nmin_connect_rate = { last = 0, rate = 0.5 }"),
        "stop.min_connect_rate.last: 0 is out of range; expected 1 to 10000",
    );
    error(
        &text("", "[stop]\nmin_connect_rate = { rate = 0.5 }"),
        "stop.min_connect_rate: missing `last`",
    );
    error(
        &text("", "[stop]\nlead_levels = [\"G\"]"),
        "stop.lead_levels: `G` is not a level",
    );
    error(
        &text("", "[stop]\nlead_levels = []"),
        "stop.lead_levels: empty",
    );
    error(
        &text("", "[stop]\nmax_leads_per_day = 0"),
        "stop.max_leads_per_day: 0 is out of range",
    );
    let c = parse(&text(
        "",
        "[stop]\nmax_leads_per_day = 5\nlead_levels = [\"A\", \"B\"]\nmin_connect_rate = { last = 10, rate = 0 }",
    ));
    assert_eq!(c.stop.max_leads_per_day, Some(5));
    assert_eq!(c.stop.lead_levels, ["A", "B"]);
    assert_eq!(c.stop.min_connect_rate, Some((10, 0.0)));
}

#[test]
fn follow_up_rules() {
    error(
        &text("", "[[follow_up]]\nlevels = [\"A\"]"),
        "follow_up: no action",
    );
    error(
        &text(
            "",
            "[[follow_up]]\nlevels = [\"A\"]\nwebhook = \"https://x\"\nblacklist = \"dnc\"",
        ),
        "both `webhook` and `blacklist`",
    );
    error(
        &text("", "[[follow_up]]\nblacklist = \"dnc\""),
        "follow_up: no trigger; expected `levels` and/or `tags`",
    );
    error(
        &text("", "[[follow_up]]\nlevels = [\"Z\"]\nblacklist = \"dnc\""),
        "follow_up.levels: `Z` is not a level",
    );
    error(
        &text("", "[[follow_up]]\ntags = [\"\"]\nblacklist = \"dnc\""),
        "follow_up.tags: empty tag",
    );
    error(
        &text(
            "",
            "[[follow_up]]\ntags = [\"x\"]\nwebhook = \"crm.example/leads\"",
        ),
        "follow_up.webhook: `crm.example/leads` is not a URL",
    );
    error(
        &text("", "[[follow_up]]\ntags = [\"x\"]\nblacklist = \"D N C\""),
        "follow_up.blacklist: `D N C` is not a group name",
    );
    let twice = "[[follow_up]]\nlevels = [\"A\"]\nwebhook = \"https://a.example/x\"\n[[follow_up]]\ntags = [\"vip\"]\nwebhook = \"http://b.example:8080/y\"";
    let c = parse(&text("", twice));
    assert_eq!(
        c.follow_up[1].action,
        FollowUpAction::Webhook("http://b.example:8080/y".into())
    );
    let f: &FollowUp = &c.follow_up[0];
    assert!(f.matches(Some("A"), &[]) && !f.matches(Some("B"), &["vip".into()]));
    assert!(c.follow_up[1].matches(None, &["other".into(), "vip".into()]));
}

#[test]
fn webhook_background_and_post_call() {
    error(
        &text("", "[webhook]\nsecret_env = \"S\""),
        "webhook: missing `url`",
    );
    error(
        &text("", "[webhook]\nurl = \"ftp://x\""),
        "webhook.url: `ftp://x` is not a URL",
    );
    error(
        &text(
            "",
            "[webhook]\nurl = \"http://x\"\nsecret_env = \"hunter2!\"",
        ),
        "webhook.secret_env: `hunter2!` is not an environment variable name",
    );
    error(
        &text("", "[background]\nfile = \"o.wav\"\ngain_db = 6"),
        "background.gain_db: 6 is out of range; expected -60 to 0",
    );
    error(
        &text("", "[background]\ngain_db = -6"),
        "background: missing `file`",
    );
    error(
        &text("", "[post_call]\nanalysis = \"a.py\""),
        "post_call.analysis: `a.py` is not a plugin",
    );
    let c = parse(&text(
        "",
        "[webhook]\nurl = \"http://127.0.0.1:9000/calls\"\n[background]\nfile = \"o.mp3\"\ngain_db = -30.5\n[post_call]\ncrm = \"c.wasm\"",
    ));
    assert_eq!(
        c.webhook
            .as_ref()
            .map(|w| (w.url.as_str(), w.secret_env.is_none())),
        Some(("http://127.0.0.1:9000/calls", true))
    );
    assert_eq!(c.background.as_ref().map(|b| b.gain_db), Some(-30.5));
    assert_eq!(
        (c.post_call.crm, c.post_call.analysis),
        (Some(PathBuf::from("/base/c.wasm")), None)
    );
}
