//! Checks the actions a callback returned before the host performs them: count and size
//! caps first (`TooManyActions`, `TooLarge`), then each action's shape (`Malformed`) and
//! capabilities (`CapabilityRefused`).

use crate::bindings::analysis_world::voxgate::plugin::analysis_types::AnalysisAction;
use crate::bindings::crm_world::voxgate::plugin::crm_types::CrmAction;
use crate::bindings::dialogue_world::voxgate::plugin::dialogue_types::{
    Action, PromptPart, TransferTarget,
};
use crate::bindings::dialogue_world::voxgate::plugin::types::{HttpRequest, Pair};
use crate::error::{Fault, FaultKind};
use crate::manifest::Manifest;
use crate::plugin::Limits;

/// Longest name-like string (tag, level, variable name, timer id, prompt id, ...), in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Longest timer (`after-ms`): 24 hours.
pub const MAX_TIMER_MS: u32 = 24 * 60 * 60 * 1000;
/// Longest digit-collection time-out: 60 seconds.
pub const MAX_COLLECT_TIMEOUT_MS: u32 = 60_000;
/// Methods an `http-request` may use.
pub const HTTP_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

fn malformed(detail: String) -> Fault {
    Fault::new(FaultKind::Malformed, detail)
}

fn name(what: &str, value: &str) -> Result<(), Fault> {
    if value.trim().is_empty() {
        return Err(malformed(format!("{what} is empty")));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(malformed(format!(
            "{what} is {} bytes long, over the cap of {MAX_NAME_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

fn pairs_bytes(pairs: &[Pair]) -> usize {
    pairs.iter().map(|p| p.name.len() + p.value.len()).sum()
}

fn request_bytes(r: &HttpRequest) -> usize {
    r.id.len()
        + r.method.len()
        + r.url.len()
        + pairs_bytes(&r.headers)
        + r.body.as_ref().map_or(0, Vec::len)
}

fn parts_bytes(parts: &[PromptPart]) -> usize {
    parts
        .iter()
        .map(|p| match p {
            PromptPart::File(s) | PromptPart::Tts(s) => s.len(),
        })
        .sum()
}

/// Checks the count and total size of a callback's actions.
pub(crate) fn check_size<A>(
    actions: &[A],
    limits: &Limits,
    bytes: impl Fn(&A) -> usize,
) -> Result<(), Fault> {
    if actions.len() > limits.max_actions {
        return Err(Fault::new(
            FaultKind::TooManyActions,
            format!(
                "{} actions in one callback, over the limit of {}",
                actions.len(),
                limits.max_actions
            ),
        ));
    }
    let total: usize = actions.iter().map(bytes).sum();
    if total > limits.max_action_bytes {
        return Err(Fault::new(
            FaultKind::TooLarge,
            format!(
                "the actions of one callback carry {total} bytes, over the limit of {}",
                limits.max_action_bytes
            ),
        ));
    }
    Ok(())
}

/// Checks an `http-request`: id, method, URL and the manifest's `http_allow`.
pub(crate) fn check_http(r: &HttpRequest, manifest: &Manifest) -> Result<(), Fault> {
    name("http-request id", &r.id)?;
    if !HTTP_METHODS.contains(&r.method.as_str()) {
        return Err(malformed(format!(
            "http-request method `{}` is not one of {}",
            r.method,
            HTTP_METHODS.join(", ")
        )));
    }
    let url = url::Url::parse(&r.url)
        .map_err(|e| malformed(format!("http-request url `{}`: {e}", r.url)))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(malformed(format!(
            "http-request url `{}`: scheme must be http or https",
            r.url
        )));
    }
    let Some(host) = url.host_str() else {
        return Err(malformed(format!(
            "http-request url `{}` has no host",
            r.url
        )));
    };
    if !manifest.allows_http(host, url.port_or_known_default()) {
        return Err(Fault::new(
            FaultKind::CapabilityRefused,
            format!(
                "http-request to {host}{} is not allowed: the manifest's capabilities.http_allow is [{}]",
                url.port().map(|p| format!(":{p}")).unwrap_or_default(),
                manifest.capabilities.http_allow.join(", ")
            ),
        ));
    }
    for header in &r.headers {
        name("http-request header name", &header.name)?;
    }
    Ok(())
}

/// Bytes a dialogue action carries (strings and bodies).
pub(crate) fn dialogue_bytes(action: &Action) -> usize {
    match action {
        Action::Play(p) => parts_bytes(&p.parts),
        Action::StopPlayback | Action::Listen(_) | Action::AddScore(_) => 0,
        Action::CollectDigits(_) => 1,
        Action::Transfer(TransferTarget::AgentGroup(s) | TransferTarget::Uri(s)) => s.len(),
        Action::HangUp(h) => parts_bytes(&h.final_prompt),
        Action::Tag(s) | Action::SetLevel(s) | Action::CancelTimer(s) => s.len(),
        Action::SetVariable(p) => p.name.len() + p.value.len(),
        Action::HttpRequest(r) => request_bytes(r),
        Action::StartTimer(t) => t.id.len(),
        Action::NoteRound(n) => {
            n.node.len()
                + n.intent.as_ref().map_or(0, String::len)
                + n.keywords.iter().map(String::len).sum::<usize>()
        }
        Action::Log(l) => l.message.len(),
    }
}

fn check_parts(what: &str, parts: &[PromptPart]) -> Result<(), Fault> {
    for part in parts {
        match part {
            PromptPart::File(id) => name(&format!("{what} file id"), id)?,
            PromptPart::Tts(text) if text.trim().is_empty() => {
                return Err(malformed(format!("{what} has an empty tts part")));
            }
            PromptPart::Tts(_) => {}
        }
    }
    Ok(())
}

/// Checks one dialogue action.
pub(crate) fn check_dialogue(action: &Action, manifest: &Manifest) -> Result<(), Fault> {
    match action {
        Action::Play(p) => {
            if p.parts.is_empty() {
                return Err(malformed("play has no prompt parts".to_owned()));
            }
            check_parts("play", &p.parts)
        }
        Action::CollectDigits(c) => {
            if c.max_digits == 0 {
                return Err(malformed("collect-digits max-digits is 0".to_owned()));
            }
            if c.timeout_ms == 0 || c.timeout_ms > MAX_COLLECT_TIMEOUT_MS {
                return Err(malformed(format!(
                    "collect-digits timeout-ms {} is out of range; expected 1 to {MAX_COLLECT_TIMEOUT_MS}",
                    c.timeout_ms
                )));
            }
            Ok(())
        }
        Action::Transfer(TransferTarget::AgentGroup(s)) => name("transfer agent group", s),
        Action::Transfer(TransferTarget::Uri(s)) => name("transfer uri", s),
        Action::HangUp(h) => check_parts("hang-up final prompt", &h.final_prompt),
        Action::Tag(s) => name("tag", s),
        Action::SetLevel(s) => name("level", s),
        Action::SetVariable(p) => name("variable name", &p.name),
        Action::HttpRequest(r) => check_http(r, manifest),
        Action::StartTimer(t) => {
            name("timer id", &t.id)?;
            if t.after_ms == 0 || t.after_ms > MAX_TIMER_MS {
                return Err(malformed(format!(
                    "timer after-ms {} is out of range; expected 1 to {MAX_TIMER_MS} (24 h)",
                    t.after_ms
                )));
            }
            Ok(())
        }
        Action::CancelTimer(s) => name("cancel-timer id", s),
        Action::NoteRound(n) => {
            name("round note node", &n.node)?;
            n.keywords
                .iter()
                .try_for_each(|k| name("round note keyword", k))
        }
        Action::StopPlayback | Action::Listen(_) | Action::AddScore(_) | Action::Log(_) => Ok(()),
    }
}

/// Bytes a CRM action carries.
pub(crate) fn crm_bytes(action: &CrmAction) -> usize {
    match action {
        CrmAction::HttpRequest(r) => request_bytes(r),
        CrmAction::Fields(f) => pairs_bytes(f),
        CrmAction::Done(_) => 0,
        CrmAction::Log(l) => l.message.len(),
    }
}

/// Checks one CRM action.
pub(crate) fn check_crm(action: &CrmAction, manifest: &Manifest) -> Result<(), Fault> {
    match action {
        CrmAction::HttpRequest(r) => check_http(r, manifest),
        CrmAction::Fields(fields) => fields.iter().try_for_each(|p| name("field name", &p.name)),
        CrmAction::Done(_) | CrmAction::Log(_) => Ok(()),
    }
}

/// Bytes an analysis action carries.
pub(crate) fn analysis_bytes(action: &AnalysisAction) -> usize {
    match action {
        AnalysisAction::HttpRequest(r) => request_bytes(r),
        AnalysisAction::Report(r) => {
            r.level.as_ref().map_or(0, String::len)
                + r.tags.iter().map(String::len).sum::<usize>()
                + r.summary.len()
                + r.customer_situation.len()
                + r.next_actions.iter().map(String::len).sum::<usize>()
                + r.findings
                    .iter()
                    .map(|f| f.rule.len() + f.severity.len() + f.detail.len())
                    .sum::<usize>()
                + r.invalid_reason.as_ref().map_or(0, String::len)
        }
        AnalysisAction::Log(l) => l.message.len(),
    }
}

/// Checks one analysis action.
pub(crate) fn check_analysis(action: &AnalysisAction, manifest: &Manifest) -> Result<(), Fault> {
    match action {
        AnalysisAction::HttpRequest(r) => check_http(r, manifest),
        AnalysisAction::Report(r) => {
            if let Some(level) = &r.level {
                name("report level", level)?;
            }
            r.tags.iter().try_for_each(|t| name("report tag", t))?;
            r.findings.iter().try_for_each(|f| {
                name("finding rule", &f.rule)?;
                match f.severity.as_str() {
                    "info" | "warning" | "violation" => Ok(()),
                    other => Err(malformed(format!(
                        "finding severity `{other}` is not info, warning or violation"
                    ))),
                }
            })
        }
        AnalysisAction::Log(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bindings::dialogue_world::voxgate::plugin::dialogue_types::{
        Collect, HangUp, Play, Timer,
    };
    use crate::bindings::dialogue_world::voxgate::plugin::types::{LogEntry, LogLevel};

    fn manifest() -> Manifest {
        Manifest::parse(
            "[plugin]\nname = \"p\"\nkind = \"dialogue\"\n[capabilities]\nhttp_allow = [\"127.0.0.1:8080\", \"api.example.com\"]\n",
            Path::new("p.toml"),
        )
        .unwrap()
    }

    fn kind(action: Action) -> Option<FaultKind> {
        check_dialogue(&action, &manifest()).err().map(|f| f.kind)
    }

    fn request(method: &str, url: &str) -> Action {
        Action::HttpRequest(HttpRequest {
            id: "r1".to_owned(),
            method: method.to_owned(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            timeout_ms: None,
        })
    }

    #[test]
    fn well_formed_actions_pass() {
        let play = Action::Play(Play {
            parts: vec![
                PromptPart::File("hello".to_owned()),
                PromptPart::Tts("Hi ${name}".to_owned()),
            ],
            barge_in: true,
        });
        assert_eq!(kind(play), None);
        let collect = Collect {
            max_digits: 4,
            terminator: Some('#'),
            timeout_ms: 5000,
        };
        assert_eq!(kind(Action::CollectDigits(collect)), None);
        assert_eq!(
            kind(Action::StartTimer(Timer {
                id: "t".to_owned(),
                after_ms: MAX_TIMER_MS
            })),
            None
        );
        assert_eq!(
            kind(Action::HangUp(HangUp {
                final_prompt: Vec::new()
            })),
            None
        );
        assert_eq!(kind(request("POST", "http://127.0.0.1:8080/x")), None);
        assert_eq!(kind(request("GET", "https://API.example.com/v1?q=1")), None);
    }

    #[test]
    fn malformed_actions_are_refused() {
        let m = Some(FaultKind::Malformed);
        assert_eq!(
            kind(Action::Play(Play {
                parts: Vec::new(),
                barge_in: false
            })),
            m
        );
        let collect = |max_digits, timeout_ms| {
            Action::CollectDigits(Collect {
                max_digits,
                terminator: None,
                timeout_ms,
            })
        };
        assert_eq!(kind(collect(0, 1000)), m);
        assert_eq!(kind(collect(4, 0)), m);
        assert_eq!(kind(collect(4, 60_001)), m);
        let timer = |after_ms| {
            Action::StartTimer(Timer {
                id: "t".to_owned(),
                after_ms,
            })
        };
        assert_eq!(kind(timer(0)), m);
        assert_eq!(kind(timer(MAX_TIMER_MS + 1)), m);
        assert_eq!(kind(Action::Tag(String::new())), m);
        assert_eq!(kind(Action::Tag("t".repeat(MAX_NAME_BYTES + 1))), m);
        assert_eq!(kind(Action::SetLevel(" ".to_owned())), m);
        assert_eq!(
            kind(Action::SetVariable(Pair {
                name: String::new(),
                value: "v".to_owned()
            })),
            m
        );
        assert_eq!(kind(request("FETCH", "http://127.0.0.1:8080/")), m);
        assert_eq!(kind(request("GET", "not a url")), m);
        assert_eq!(kind(request("GET", "ftp://127.0.0.1:8080/")), m);
    }

    #[test]
    fn hosts_outside_http_allow_are_refused() {
        let refused = Some(FaultKind::CapabilityRefused);
        assert_eq!(kind(request("GET", "http://127.0.0.1:8081/")), refused);
        assert_eq!(kind(request("GET", "http://127.0.0.1/")), refused);
        assert_eq!(kind(request("GET", "https://evil.example.com/")), refused);
        assert_eq!(
            kind(request("GET", "https://api.example.com@evil.com/")),
            refused
        );
    }

    #[test]
    fn count_is_checked_before_size() {
        let limits = Limits {
            max_actions: 2,
            max_action_bytes: 10,
            ..Limits::default()
        };
        let tag = |s: &str| Action::Tag(s.to_owned());
        let size = |actions: &[Action]| {
            check_size(actions, &limits, dialogue_bytes)
                .err()
                .map(|f| f.kind)
        };
        assert_eq!(size(&[tag("a"), tag("b")]), None);
        assert_eq!(
            size(&[tag("a"), tag("b"), tag("c")]),
            Some(FaultKind::TooManyActions)
        );
        assert_eq!(
            size(&[tag("abcdef"), tag("ghijkl")]),
            Some(FaultKind::TooLarge)
        );
        let log = Action::Log(LogEntry {
            level: LogLevel::Info,
            message: "x".repeat(11),
        });
        assert_eq!(size(&[log]), Some(FaultKind::TooLarge));
    }
}
