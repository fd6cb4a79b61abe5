//! Human-readable text for the API's answers: tables and summaries.

use std::fmt::Write as _;

use serde_json::Value;

use super::REJECTED_SHOWN;

/// A string field, or `-` when absent or null.
pub(super) fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("-")
}

/// An integer field (0 when absent).
fn int_of(value: &Value, key: &str) -> i64 {
    value.get(key).and_then(Value::as_i64).unwrap_or(0)
}

/// A field shown as text: strings as they are, numbers as numbers, null as `-`.
fn cell(value: &Value, key: &str) -> String {
    match value.get(key) {
        None | Some(Value::Null) => "-".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A rate (0..=1) as a percentage.
fn percent(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_f64)
        .map_or_else(|| "-".into(), |r| format!("{:.1}%", r * 100.0))
}

/// Milliseconds as seconds with one decimal.
fn seconds(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_f64)
        .map_or_else(|| "-".into(), |ms| format!("{:.1}s", ms / 1000.0))
}

/// Unix ms as local date and time.
fn local_time(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_i64)
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or_else(
            || "-".into(),
            |t| {
                t.to_zoned(jiff::tz::TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
}

/// Columns padded to their widest cell.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, c) in cells.enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            let _ = write!(text, "{c}{}  ", " ".repeat(pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// `GET /campaigns` as a table.
pub(super) fn campaign_table(list: &Value) -> String {
    let campaigns = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if campaigns.is_empty() {
        return "no campaigns loaded\n".into();
    }
    let rows: Vec<Vec<String>> = campaigns
        .iter()
        .map(|c| {
            let p = &c["progress"];
            vec![
                str_of(c, "id").to_owned(),
                str_of(c, "status").to_owned(),
                str_of(c, "trunk").to_owned(),
                format!("{}/{}", int_of(p, "done"), int_of(p, "total")),
                int_of(p, "pending").to_string(),
                int_of(p, "in_flight").to_string(),
                int_of(p, "attempts").to_string(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "STATUS",
            "TRUNK",
            "DONE",
            "PENDING",
            "IN-FLIGHT",
            "ATTEMPTS",
        ],
        &rows,
    )
}

/// A campaign and its statistics (`voxgate campaign status`).
pub(super) fn status_text(campaign: &Value, stats: &Value) -> String {
    let mut out = String::new();
    let p = &campaign["progress"];
    let _ = writeln!(
        out,
        "{}: {} (trunk {})",
        str_of(campaign, "id"),
        str_of(campaign, "status"),
        str_of(campaign, "trunk")
    );
    if let Some(reason) = campaign.get("reason").and_then(Value::as_str) {
        let _ = writeln!(out, "  reason: {reason}");
    }
    let _ = writeln!(
        out,
        "  numbers: {} total, {} done, {} pending, {} in flight; {} attempts",
        int_of(p, "total"),
        int_of(p, "done"),
        int_of(p, "pending"),
        int_of(p, "in_flight"),
        int_of(p, "attempts")
    );
    let _ = writeln!(
        out,
        "  answered: {} of {} ({}); hung up within 5 s: {} ({}); average talk {}; leads {}",
        int_of(stats, "answered"),
        int_of(stats, "attempts"),
        percent(stats, "connect_rate"),
        int_of(stats, "short_hangups_5s"),
        percent(stats, "short_hangup_rate"),
        seconds(stats, "avg_talk_ms"),
        percent(stats, "lead_rate")
    );
    for (title, key) in [("by result", "by_result"), ("by level", "by_level")] {
        if let Some(map) = stats.get(key).and_then(Value::as_object)
            && !map.is_empty()
        {
            let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let _ = writeln!(out, "  {title}: {}", parts.join(", "));
        }
    }
    let bucket = |name: String, b: &Value| {
        format!(
            "{name} {} calls {} answered",
            int_of(b, "calls"),
            int_of(b, "answered")
        )
    };
    if let Some(hours) = stats.get("by_hour").and_then(Value::as_array) {
        let parts: Vec<String> = hours
            .iter()
            .enumerate()
            .filter(|(_, b)| int_of(b, "calls") > 0)
            .map(|(h, b)| bucket(format!("{h:02}h"), b))
            .collect();
        if !parts.is_empty() {
            let _ = writeln!(out, "  by hour: {}", parts.join(", "));
        }
    }
    if let Some(regions) = stats.get("by_region").and_then(Value::as_object)
        && !regions.is_empty()
    {
        let parts: Vec<String> = regions.iter().map(|(r, b)| bucket(r.clone(), b)).collect();
        let _ = writeln!(out, "  by region: {}", parts.join(", "));
    }
    out
}

/// An import report, with the first rejected rows.
pub(super) fn import_text(report: &Value) -> String {
    let rejected = report["rejected"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = format!(
        "{} rows: {} accepted, {} duplicates in the file, {} already in the campaign, {} rejected\n",
        int_of(report, "rows"),
        int_of(report, "accepted"),
        int_of(report, "duplicates_in_file"),
        int_of(report, "duplicates_in_campaign"),
        rejected.len()
    );
    for r in rejected.iter().take(REJECTED_SHOWN) {
        let _ = writeln!(
            out,
            "  row {}: `{}`: {}",
            int_of(r, "row"),
            str_of(r, "raw"),
            str_of(r, "reason")
        );
    }
    if rejected.len() > REJECTED_SHOWN {
        let _ = writeln!(
            out,
            "  ... and {} more rejected rows",
            rejected.len() - REJECTED_SHOWN
        );
    }
    out
}

/// `GET /records` as a table.
pub(super) fn records_table(page: &Value) -> String {
    let records = page["records"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if records.is_empty() {
        return "no records\n".into();
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                cell(r, "attempt"),
                cell(r, "phone"),
                cell(r, "result"),
                cell(r, "level"),
                seconds(r, "talk_ms"),
                cell(r, "rounds_count"),
                local_time(r, "dial_at"),
            ]
        })
        .collect();
    table(
        &[
            "ATTEMPT", "PHONE", "RESULT", "LEVEL", "TALK", "ROUNDS", "DIALLED",
        ],
        &rows,
    )
}

/// `GET /stats/compare`: one column per campaign, then the differences to the first.
pub(super) fn compare_text(comparison: &Value) -> String {
    let stats = comparison["campaigns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut header = vec!["".to_owned()];
    header.extend(stats.iter().map(|s| str_of(s, "campaign").to_owned()));
    let metric = |name: &str, show: &dyn Fn(&Value) -> String| {
        let mut row = vec![name.to_owned()];
        row.extend(stats.iter().map(show));
        row
    };
    let rows = vec![
        metric("attempts", &|s| int_of(s, "attempts").to_string()),
        metric("answered", &|s| int_of(s, "answered").to_string()),
        metric("connect rate", &|s| percent(s, "connect_rate")),
        metric("lead rate", &|s| percent(s, "lead_rate")),
        metric("average talk", &|s| seconds(s, "avg_talk_ms")),
        metric("hung up within 5 s", &|s| percent(s, "short_hangup_rate")),
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = table(&header, &rows);
    let differences = comparison["differences"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    for d in differences {
        let points = |key: &str| {
            d.get(key)
                .and_then(Value::as_f64)
                .map_or_else(|| "-".into(), |r| format!("{:+.1} pts", r * 100.0))
        };
        let talk = d
            .get("avg_talk_ms")
            .and_then(Value::as_f64)
            .map_or_else(|| "-".into(), |ms| format!("{:+.1}s", ms / 1000.0));
        let _ = writeln!(
            out,
            "{} vs {}: connect rate {}, lead rate {}, average talk {}",
            str_of(d, "campaign"),
            str_of(d, "baseline"),
            points("connect_rate"),
            points("lead_rate"),
            talk
        );
    }
    out
}

/// One call turn by turn, in time order: the bot's prompts (TTS text or file) and the callee's
/// answers (recognised words, digits, silence), after a header with the outcome.
pub(super) fn transcript_text(detail: &Value) -> String {
    let record = &detail["record"];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "call {} to {}: {}, level {}, talk {}, score {}",
        int_of(record, "attempt"),
        str_of(record, "phone"),
        str_of(record, "result"),
        str_of(record, "level"),
        seconds(record, "talk_ms"),
        record.get("score").and_then(Value::as_i64).unwrap_or(0)
    );
    if let Some(tags) = record.get("tags").and_then(Value::as_array)
        && !tags.is_empty()
    {
        let tags: Vec<&str> = tags.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(out, "  tags: {}", tags.join(", "));
    }
    let mut turns: Vec<(i64, String)> = Vec::new();
    let prompts = detail["call"]["prompts"].as_array().into_iter().flatten();
    for p in prompts {
        let name = str_of(p, "prompt");
        let said = name.strip_prefix("tts:").unwrap_or(name);
        let cut = if p["cut"].as_bool() == Some(true) {
            " [interrupted]"
        } else {
            ""
        };
        turns.push((int_of(p, "start_ms"), format!("  bot:    {said}{cut}")));
    }
    for r in detail["rounds"].as_array().into_iter().flatten() {
        let heard = match str_of(r, "input_kind") {
            "digits" => format!("[keys {}]", str_of(r, "digits")),
            "no_input" => "[silence]".to_owned(),
            _ => match r.get("text").and_then(Value::as_str) {
                Some(text) if !text.trim().is_empty() => text.trim().to_owned(),
                _ => "[speech, not recognised]".to_owned(),
            },
        };
        let intent = r
            .get("intent")
            .and_then(Value::as_str)
            .map(|i| format!("   ({i})"))
            .unwrap_or_default();
        turns.push((int_of(r, "at_ms"), format!("  callee: {heard}{intent}")));
    }
    turns.sort_by_key(|(at, _)| *at);
    for (at, line) in turns {
        let _ = writeln!(out, "{:>6.1}s {line}", at as f64 / 1000.0);
    }
    if let Some(url) = record.get("recording_url").and_then(Value::as_str) {
        let _ = writeln!(out, "  recording: {url}");
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let text = table(
            &["A", "BB"],
            &[vec!["xxx".into(), "y".into()], vec!["z".into(), "".into()]],
        );
        assert_eq!(text, "A    BB\nxxx  y\nz\n");
    }

    #[test]
    fn import_report_lists_the_first_twenty_rejected_rows() {
        let rejected: Vec<Value> = (0..25)
            .map(|i| json!({"row": i + 2, "raw": "x", "reason": "bad"}))
            .collect();
        let text = import_text(&json!({
            "rows": 30, "accepted": 5, "duplicates_in_file": 0,
            "duplicates_in_campaign": 0, "rejected": rejected
        }));
        assert!(text.starts_with("30 rows: 5 accepted"), "{text}");
        assert!(text.contains("row 21: `x`: bad\n"), "{text}");
        assert!(!text.contains("row 22:"), "{text}");
        assert!(text.contains("... and 5 more rejected rows"), "{text}");
    }

    #[test]
    fn a_transcript_interleaves_the_bot_and_the_callee_in_time_order() {
        let detail = serde_json::json!({
            "record": {"attempt": 7, "phone": "+8613800000001", "result": "answered", "level": "A",
                       "talk_ms": 21000, "score": 25, "tags": ["interested"]},
            "rounds": [
                {"at_ms": 9000, "input_kind": "utterance", "text": " Yes, sure ", "intent": "positive"},
                {"at_ms": 15000, "input_kind": "no_input"},
            ],
            "call": {"prompts": [
                {"prompt": "tts:Hello, do you have a minute?", "start_ms": 1500, "cut": false},
                {"prompt": "tts:Am I speaking with Ann?", "start_ms": 9100, "cut": true},
            ]},
        });
        let text = transcript_text(&detail);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("answered, level A"), "{text}");
        assert!(
            lines[2].ends_with("bot:    Hello, do you have a minute?"),
            "{text}"
        );
        assert!(
            lines[3].ends_with("callee: Yes, sure   (positive)"),
            "{text}"
        );
        assert!(
            lines[4].ends_with("bot:    Am I speaking with Ann? [interrupted]"),
            "{text}"
        );
        assert!(lines[5].ends_with("callee: [silence]"), "{text}");
    }
}
