//! The rule-based analysis: validity, level, findings, summary, situation and next actions.

use voxgate_plugin_sdk::analysis::{AnalysisInput, Finding, Report};
use voxgate_plugin_sdk::host::Config;
use voxgate_plugin_sdk::matching::Keywords;
use voxgate_plugin_sdk::types::TranscriptTurn;

/// Default complaint keywords (Mandarin and English).
const COMPLAINT_KEYWORDS: &str = "投诉,举报,12315,骚扰,complaint,complain,harass,report you";
/// Default "stop calling me" keywords.
const DO_NOT_CALL_KEYWORDS: &str =
    "别再打,不要再打,别打了,不要打了,stop calling,do not call,don't call";

/// Thresholds, from the plugin's `[config]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    min_talk_ms: u64,
    level_a_score: i32,
    level_a_tags: Vec<String>,
    level_b_score: i32,
    level_b_rounds: u32,
    level_c_rounds: u32,
    level_c_talk_ms: u64,
    override_level: bool,
    monologue_ms: u64,
    complaint: Keywords,
    do_not_call: Keywords,
}

fn list(text: &str) -> Vec<String> {
    text.split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Rules {
    /// Thresholds from the configuration, with defaults for missing or malformed keys.
    pub fn from_config(config: &Config) -> Self {
        Self {
            min_talk_ms: config.parse_or("min_talk_ms", 5_000),
            level_a_score: config.parse_or("level_a_score", 10),
            level_a_tags: list(config.get_or("level_a_tags", "")),
            level_b_score: config.parse_or("level_b_score", 5),
            level_b_rounds: config.parse_or("level_b_rounds", 3),
            level_c_rounds: config.parse_or("level_c_rounds", 2),
            level_c_talk_ms: config.parse_or("level_c_talk_ms", 30_000),
            override_level: config.flag("override_level", false),
            monologue_ms: config.parse_or("monologue_ms", 30_000),
            complaint: Keywords::new(list(
                config.get_or("complaint_keywords", COMPLAINT_KEYWORDS),
            )),
            do_not_call: Keywords::new(list(
                config.get_or("do_not_call_keywords", DO_NOT_CALL_KEYWORDS),
            )),
        }
    }

    /// The report the rules give for a call.
    pub fn analyse(&self, input: &AnalysisInput) -> Report {
        let call = &input.call;
        let answered = call.outcome == "answered";
        let mut report = Report::empty();

        if !answered {
            report.invalid = true;
            report.invalid_reason = Some(format!("not answered ({})", call.outcome));
        } else if call.talk_ms < self.min_talk_ms {
            report.invalid = true;
            report.invalid_reason = Some(format!(
                "talk time {} ms is under {} ms",
                call.talk_ms, self.min_talk_ms
            ));
            report.findings.push(Finding::new(
                "short-call",
                "info",
                format!("the call lasted {} ms", call.talk_ms),
            ));
        }

        let callee_turns: Vec<&TranscriptTurn> = input
            .transcript
            .iter()
            .filter(|turn| turn.speaker == "callee")
            .collect();
        let callee_text: Vec<&str> = callee_turns
            .iter()
            .map(|turn| turn.text.trim())
            .filter(|text| !text.is_empty())
            .collect();

        if answered && callee_turns.is_empty() && call.digits.is_empty() {
            report.findings.push(Finding::new(
                "callee-silent",
                "warning",
                "the callee said nothing and pressed no key",
            ));
        }
        if let Some(ms) = longest_monologue(&input.transcript).filter(|ms| *ms > self.monologue_ms)
        {
            report.findings.push(Finding::new(
                "long-bot-monologue",
                "warning",
                format!("the bot spoke for {ms} ms without the callee"),
            ));
        }
        let complaint = callee_text
            .iter()
            .find_map(|text| self.complaint.find(text));
        if let Some(keyword) = complaint {
            report.tags.push("violation-risk".into());
            report.findings.push(Finding::new(
                "complaint-risk",
                "violation",
                format!("the callee said `{keyword}`"),
            ));
        }
        let do_not_call = callee_text
            .iter()
            .find_map(|text| self.do_not_call.find(text));
        if let Some(keyword) = do_not_call {
            report.tags.push("do-not-call".into());
            report.findings.push(Finding::new(
                "do-not-call",
                "warning",
                format!("the callee asked not to be called (`{keyword}`)"),
            ));
        }

        let level = if report.invalid || complaint.is_some() {
            "F"
        } else {
            self.level(input)
        };
        if self.override_level || call.level.is_none() {
            report.level = Some(level.to_string());
        }
        let effective = report
            .level
            .as_deref()
            .or(call.level.as_deref())
            .unwrap_or(level);
        report.customer_situation = situation(effective).to_string();
        report.next_actions = next_actions(effective, complaint.is_some() || do_not_call.is_some());
        report.summary = summary(input, &callee_text);
        report
    }

    fn level(&self, input: &AnalysisInput) -> &'static str {
        let call = &input.call;
        let tagged_a = call.tags.iter().any(|tag| self.level_a_tags.contains(tag));
        if call.score >= self.level_a_score || tagged_a {
            "A"
        } else if call.score >= self.level_b_score && call.rounds >= self.level_b_rounds {
            "B"
        } else if call.rounds >= self.level_c_rounds || call.talk_ms >= self.level_c_talk_ms {
            "C"
        } else if call.rounds >= 1 {
            "D"
        } else {
            "E"
        }
    }
}

/// The longest stretch of consecutive bot turns, from the first's start to the last's end.
fn longest_monologue(transcript: &[TranscriptTurn]) -> Option<u64> {
    let mut longest = None;
    let mut start: Option<u64> = None;
    for turn in transcript {
        if turn.speaker == "bot" {
            let begun = *start.get_or_insert(turn.start_ms);
            let length = turn.end_ms.saturating_sub(begun);
            longest = Some(longest.map_or(length, |l: u64| l.max(length)));
        } else {
            start = None;
        }
    }
    longest
}

fn situation(level: &str) -> &'static str {
    match level {
        "A" => "Clearly interested: asked for details or agreed to the next step.",
        "B" => "Interested but undecided: engaged in the conversation and needs follow-up.",
        "C" => "Listened without a clear intent.",
        "D" => "Little interest: answered briefly.",
        "E" => "Did not engage with the conversation.",
        "F" => "No valid conversation (unanswered, too short, or a complaint).",
        _ => "Level set by the dialogue.",
    }
}

fn next_actions(level: &str, stop_calling: bool) -> Vec<String> {
    if stop_calling {
        return vec![
            "Add the number to the blacklist".into(),
            "Review the recording".into(),
        ];
    }
    let actions: &[&str] = match level {
        "A" => &["Have an agent call back within 24 hours"],
        "B" => &["Send information and call back in a few days"],
        "C" | "D" => &["Retry in a later campaign"],
        "E" => &["Retry at a different time of day"],
        _ => &[],
    };
    actions.iter().map(|a| (*a).to_string()).collect()
}

/// A one-paragraph summary: outcome, talk time, rounds, score and what the callee said.
fn summary(input: &AnalysisInput, callee_text: &[&str]) -> String {
    let call = &input.call;
    let mut text = format!(
        "{} call, {} s of talk, {} rounds, score {}",
        call.outcome,
        call.talk_ms / 1000,
        call.rounds,
        call.score
    );
    if !call.digits.is_empty() {
        text.push_str(&format!(", digits {}", call.digits));
    }
    if callee_text.is_empty() {
        text.push_str(". The callee said nothing recognisable.");
    } else {
        let quotes: Vec<String> = callee_text
            .iter()
            .take(3)
            .map(|t| format!("\"{}\"", shorten(t, 60)))
            .collect();
        text.push_str(&format!(". The callee said: {}.", quotes.join("; ")));
    }
    text
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{cut}…")
}
