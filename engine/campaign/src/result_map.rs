//! From what the carrier said to a [`CallResult`]: SIP final responses (with the Q.850 cause of
//! their `Reason` header), carrier announcements heard as early media, and SIT tone categories.
//!
//! The default table ([`ResultMap::default`]) follows how Chinese carriers (China Mobile, China
//! Unicom, China Telecom) and their gateways report failures; operators override it per trunk
//! with [`ResultRule`]s.

use crate::result::CallResult;

/// Why the engine itself cancelled an outgoing INVITE (it then gets a 487).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelledBy {
    /// The ring time-out ran out: the callee did not answer.
    RingTimeout,
    /// The campaign or the engine stopped.
    Stop,
}

/// An operator's rule: SIP code and/or Q.850 cause → result. A field left `None` matches any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultRule {
    /// The SIP final response code, or any.
    pub code: Option<u16>,
    /// The Q.850 cause in the `Reason` header, or any.
    pub cause: Option<u16>,
    /// The result to record.
    pub result: CallResult,
}

/// The result of a final response and the evidence that decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// The result.
    pub result: CallResult,
    /// The Q.850 cause found in the `Reason` header, if any.
    pub cause: Option<u16>,
    /// What decided it, for the call record: "SIP 480 + Q.850 cause 20", "SIP 486", ...
    pub evidence: String,
}

/// Maps SIP final responses to results: operator rules first, then the default table.
///
/// Precedence: a rule naming both code and cause, then a rule naming only the cause, then one
/// naming only the code, then a catch-all rule (neither), then the defaults below. Among rules
/// of the same rank the first one listed wins.
///
/// Default table. A Q.850 cause from `Reason: Q.850;cause=N` overrides a failure code (3xx-6xx)
/// when it is one of these:
///
/// | cause | result | | cause | result |
/// | --- | --- | --- | --- | --- |
/// | 1 unallocated number | empty_number | | 34 no circuit | line_fault |
/// | 17 user busy | busy | | 38 network out of order | line_fault |
/// | 18 no user responding | no_answer | | 41 temporary failure | line_fault |
/// | 19 no answer | no_answer | | 42 congestion | line_fault |
/// | 20 subscriber absent | powered_off | | 44 channel unavailable | line_fault |
/// | 21 call rejected | rejected | | 47 resource unavailable | line_fault |
/// | 22 number changed | empty_number | | 55 incoming barred in CUG | call_in_restricted |
/// | 27 destination out of order | line_fault | | 57 / 58 bearer capability | line_fault |
/// | 28 invalid number format | empty_number | | 63 service unavailable | line_fault |
/// | 29 facility rejected | rejected | | 127 interworking | line_fault |
/// | 31 normal, unspecified | no_answer | | | |
///
/// Otherwise the SIP code decides: 2xx answered; 486 / 600 busy; 480 no_answer; 487 no_answer
/// (a peer's own ring timer), or after our CANCEL no_answer on a ring time-out and cancelled on
/// a stop ([`ResultMap::classify_final`]); 404 / 410 / 484 / 485 / 604 empty_number; 403 / 603
/// rejected; 402 arrears; 433 user_screened; 408 unreachable (also what a SIP stack reports when
/// the peer never answered); 3xx unreachable (we do not follow redirects); 488 / 606 and every
/// other 4xx and 5xx line_fault; other 6xx rejected; anything outside 200..=699 engine_error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResultMap {
    overrides: Vec<ResultRule>,
}

impl ResultMap {
    /// The default table with the trunk's `rules` on top (see the precedence above).
    pub fn with_overrides(rules: &[ResultRule]) -> Self {
        Self {
            overrides: rules.to_vec(),
        }
    }

    /// Classify a final response `code` with its raw `Reason` header value (if any).
    pub fn classify(&self, code: u16, reason_header: Option<&str>) -> Classification {
        self.classify_final(code, reason_header, None)
    }

    /// Like [`classify`](Self::classify), knowing whether (and why) we cancelled the INVITE
    /// ourselves: a 487 then means no_answer (ring time-out) or cancelled (stop).
    pub fn classify_final(
        &self,
        code: u16,
        reason_header: Option<&str>,
        cancelled_by_us: Option<CancelledBy>,
    ) -> Classification {
        let cause = reason_header.and_then(q850_cause);
        let mut evidence = format!("SIP {code}");
        if let Some(c) = cause {
            evidence.push_str(&format!(" + Q.850 cause {c}"));
        }
        if let Some(rule) = self.rule_for(code, cause) {
            evidence.push_str(" (trunk rule)");
            return Classification {
                result: rule.result,
                cause,
                evidence,
            };
        }
        let result = if code == 487
            && let Some(by) = cancelled_by_us
        {
            evidence.push_str(match by {
                CancelledBy::RingTimeout => " after our CANCEL (ring time-out)",
                CancelledBy::Stop => " after our CANCEL (stop)",
            });
            match by {
                CancelledBy::RingTimeout => CallResult::NoAnswer,
                CancelledBy::Stop => CallResult::Cancelled,
            }
        } else if code >= 300 {
            cause
                .and_then(cause_result)
                .unwrap_or_else(|| code_result(code))
        } else {
            code_result(code)
        };
        Classification {
            result,
            cause,
            evidence,
        }
    }

    fn rule_for(&self, code: u16, cause: Option<u16>) -> Option<&ResultRule> {
        let rank = |r: &ResultRule| match (r.code, r.cause) {
            (Some(c), Some(q)) if c == code && Some(q) == cause => Some(0),
            (None, Some(q)) if Some(q) == cause => Some(1),
            (Some(c), None) if c == code => Some(2),
            (None, None) => Some(3),
            _ => None,
        };
        self.overrides
            .iter()
            .filter_map(|r| rank(r).map(|k| (k, r)))
            .min_by_key(|(k, _)| *k)
            .map(|(_, r)| r)
    }
}

/// The default result of a Q.850 cause, when the cause is decisive.
fn cause_result(cause: u16) -> Option<CallResult> {
    use CallResult::*;
    Some(match cause {
        1 | 22 | 28 => EmptyNumber,
        17 => Busy,
        18 | 19 | 31 => NoAnswer,
        20 => PoweredOff,
        21 | 29 => Rejected,
        27 | 34 | 38 | 41 | 42 | 44 | 47 | 57 | 58 | 63 | 127 => LineFault,
        55 => CallInRestricted,
        _ => return None,
    })
}

/// The default result of a SIP final response code alone.
fn code_result(code: u16) -> CallResult {
    use CallResult::*;
    match code {
        200..=299 => Answered,
        486 | 600 => Busy,
        480 | 487 => NoAnswer,
        404 | 410 | 484 | 485 | 604 => EmptyNumber,
        403 | 603 => Rejected,
        402 => Arrears,
        433 => UserScreened,
        300..=399 | 408 => Unreachable,
        400..=599 => LineFault,
        606 => LineFault,
        600..=699 => Rejected,
        _ => EngineError,
    }
}

/// The first Q.850 cause in a `Reason` header value (several comma-separated values, any case,
/// optional `Reason:` prefix, quoted or bare parameters). `SIP;cause=...` values are skipped.
pub fn q850_cause(header: &str) -> Option<u16> {
    let value = header.trim();
    let value = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("reason:") => &value[7..],
        _ => value,
    };
    split_outside_quotes(value, ',').find_map(|part| {
        let mut params = split_outside_quotes(part, ';');
        let protocol = params.next()?.trim();
        if !protocol.eq_ignore_ascii_case("q.850") {
            return None;
        }
        params.find_map(|param| {
            let (name, val) = param.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("cause") {
                return None;
            }
            let digits = val.trim().trim_matches('"').trim();
            digits.parse::<u16>().ok().filter(|c| *c <= 127)
        })
    })
}

/// Split `text` on `sep` where it is not inside double quotes (backslash escapes honoured).
fn split_outside_quotes(text: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, ch) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && ch == '\\' {
            escaped = true;
        } else if ch == '"' {
            quoted = !quoted;
        } else if ch == sep && !quoted {
            parts.push(&text[start..i]);
            start = i + ch.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts.into_iter()
}

/// Phrases carriers use in their announcements, with the result each one means.
const ANNOUNCEMENTS: &[(&str, CallResult)] = &[
    ("空号", CallResult::EmptyNumber),
    ("不存在", CallResult::EmptyNumber),
    ("关机", CallResult::PoweredOff),
    ("停机", CallResult::Suspended),
    ("无法接通", CallResult::Unreachable),
    ("不在服务区", CallResult::Unreachable),
    ("正在通话中", CallResult::Busy),
    ("忙", CallResult::Busy),
    ("欠费", CallResult::Arrears),
    ("呼入限制", CallResult::CallInRestricted),
    ("限制呼入", CallResult::CallInRestricted),
    ("已被拦截", CallResult::CarrierIntercepted),
    ("拦截", CallResult::CarrierIntercepted),
    ("暂时无法接听", CallResult::NoAnswer),
    ("not in service", CallResult::EmptyNumber),
    ("does not exist", CallResult::EmptyNumber),
    ("is not a working number", CallResult::EmptyNumber),
    ("switched off", CallResult::PoweredOff),
    ("switch off", CallResult::PoweredOff),
    ("turned off", CallResult::PoweredOff),
    ("powered off", CallResult::PoweredOff),
    ("suspended", CallResult::Suspended),
    ("disconnected", CallResult::Suspended),
    ("cannot be reached", CallResult::Unreachable),
    ("unavailable", CallResult::Unreachable),
    ("out of coverage", CallResult::Unreachable),
    ("busy", CallResult::Busy),
];

/// Classify a carrier announcement's transcript by its key phrases; the longest phrase found
/// wins ("正在通话中" beats "忙"; equal lengths: the earlier phrase in the table). Case-insensitive; runs of white
/// space count as one space, and Chinese phrases also match with spaces between characters
/// (as some recognisers print them). Returns the result and the phrase that matched.
pub fn classify_announcement(text: &str) -> Option<(CallResult, &'static str)> {
    let lower = text.to_lowercase();
    let spaced: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let unspaced: String = lower.split_whitespace().collect();
    ANNOUNCEMENTS
        .iter()
        .enumerate()
        .filter(|(_, (phrase, _))| {
            if phrase.is_ascii() {
                spaced.contains(phrase)
            } else {
                unspaced.contains(phrase)
            }
        })
        .max_by_key(|(i, (phrase, _))| (phrase.chars().count(), std::cmp::Reverse(*i)))
        .map(|(_, (phrase, result))| (*result, *phrase))
}

/// The result of a special information tone (SIT) by category: "vacant" → empty_number,
/// "intercept" → carrier_intercepted, "no_circuit" and "reorder" → line_fault, "ineffective"
/// → unreachable, anything else → line_fault.
pub fn sit_result(category: &str) -> CallResult {
    match category {
        "vacant" => CallResult::EmptyNumber,
        "intercept" => CallResult::CarrierIntercepted,
        "ineffective" | "ineffective_other" => CallResult::Unreachable,
        _ => CallResult::LineFault,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CallResult::*;

    fn result(code: u16, reason: Option<&str>) -> CallResult {
        ResultMap::default().classify(code, reason).result
    }

    #[test]
    fn default_codes() {
        let table = [
            (200, Answered),
            (486, Busy),
            (600, Busy),
            (480, NoAnswer),
            (487, NoAnswer),
            (404, EmptyNumber),
            (604, EmptyNumber),
            (484, EmptyNumber),
            (410, EmptyNumber),
            (403, Rejected),
            (603, Rejected),
            (408, Unreachable),
            (302, Unreachable),
            (503, LineFault),
            (500, LineFault),
            (488, LineFault),
            (606, LineFault),
            (401, LineFault),
            (433, UserScreened),
            (402, Arrears),
            (0, EngineError),
            (180, EngineError),
            (700, EngineError),
        ];
        for (code, want) in table {
            assert_eq!(result(code, None), want, "SIP {code}");
        }
    }

    #[test]
    fn q850_cause_overrides_the_code() {
        assert_eq!(result(480, Some("Q.850;cause=20")), PoweredOff);
        assert_eq!(result(480, Some("Q.850;cause=16")), NoAnswer);
        assert_eq!(result(403, Some("Q.850;cause=1")), EmptyNumber);
        assert_eq!(result(503, Some("Q.850;cause=34")), LineFault);
        assert_eq!(result(486, Some("Q.850;cause=55")), CallInRestricted);
        assert_eq!(result(500, Some("Q.850;cause=22")), EmptyNumber);
        assert_eq!(result(404, Some("Q.850;cause=29")), Rejected);
        assert_eq!(result(200, Some("Q.850;cause=17")), Answered);
        let c = ResultMap::default().classify(480, Some("Q.850;cause=20;text=\"absent\""));
        assert_eq!(c.cause, Some(20));
        assert_eq!(c.evidence, "SIP 480 + Q.850 cause 20");
        assert_eq!(ResultMap::default().classify(486, None).evidence, "SIP 486");
    }

    #[test]
    fn reason_header_parsing_is_robust() {
        let cases = [
            ("Q.850;cause=20", Some(20)),
            ("q.850 ; CAUSE = 17 ; text=\"User busy\"", Some(17)),
            ("Reason: Q.850;cause=18", Some(18)),
            ("SIP;cause=480;text=\"x\", Q.850;cause=19", Some(19)),
            ("SIP;cause=486", None),
            ("Q.850;text=\"a;cause=5, Q.850;cause=6\";cause=21", Some(21)),
            ("Q.850;cause=\"28\"", Some(28)),
            ("Q.850;cause=999", None),
            ("Q.850;cause=abc", None),
            ("", None),
            ("无效", None),
        ];
        for (header, want) in cases {
            assert_eq!(q850_cause(header), want, "{header}");
        }
    }

    #[test]
    fn cancel_by_us_decides_487() {
        let map = ResultMap::default();
        let timeout = map.classify_final(487, None, Some(CancelledBy::RingTimeout));
        assert_eq!(timeout.result, NoAnswer);
        assert!(timeout.evidence.contains("ring time-out"));
        assert_eq!(
            map.classify_final(487, None, Some(CancelledBy::Stop))
                .result,
            Cancelled
        );
        assert_eq!(
            map.classify_final(486, None, Some(CancelledBy::Stop))
                .result,
            Busy
        );
    }

    #[test]
    fn overrides_rank_code_and_cause_first() {
        let rule = |code, cause, result| ResultRule {
            code,
            cause,
            result,
        };
        let map = ResultMap::with_overrides(&[
            rule(Some(480), None, Unreachable),
            rule(None, Some(20), Suspended),
            rule(Some(480), Some(20), Arrears),
            rule(Some(503), None, Busy),
        ]);
        assert_eq!(map.classify(480, Some("Q.850;cause=20")).result, Arrears);
        assert_eq!(map.classify(404, Some("Q.850;cause=20")).result, Suspended);
        assert_eq!(map.classify(480, None).result, Unreachable);
        assert_eq!(
            map.classify(480, Some("Q.850;cause=17")).result,
            Unreachable
        );
        assert_eq!(map.classify(503, Some("Q.850;cause=34")).result, Busy);
        assert_eq!(map.classify(486, None).result, Busy);
        assert!(map.classify(503, None).evidence.ends_with("(trunk rule)"));
        let catch_all = ResultMap::with_overrides(&[rule(None, None, LineFault)]);
        assert_eq!(catch_all.classify(486, None).result, LineFault);
    }

    #[test]
    fn announcements_longest_phrase_wins() {
        let cases = [
            (
                "您拨打的号码是空号，请查证后再拨",
                Some((EmptyNumber, "空号")),
            ),
            ("您拨打的电话已关机", Some((PoweredOff, "关机"))),
            ("您拨打的电话已停机", Some((Suspended, "停机"))),
            ("您拨打的电话暂时无法接通", Some((Unreachable, "无法接通"))),
            ("您拨打的用户暂时无法接听", Some((NoAnswer, "暂时无法接听"))),
            (
                "对不起，您拨打的电话正在通话中，请稍后再拨",
                Some((Busy, "正在通话中")),
            ),
            ("用户忙", Some((Busy, "忙"))),
            ("您拨打的电话已欠费", Some((Arrears, "欠费"))),
            ("该用户已设置限制呼入", Some((CallInRestricted, "限制呼入"))),
            ("您的呼叫已被拦截", Some((CarrierIntercepted, "已被拦截"))),
            ("已关机 或 不在 服务区", Some((Unreachable, "不在服务区"))),
            (
                "The number you dialled is NOT IN  SERVICE",
                Some((EmptyNumber, "not in service")),
            ),
            (
                "the number you have called is not a working number",
                Some((EmptyNumber, "is not a working number")),
            ),
            (
                "The subscriber cannot be reached",
                Some((Unreachable, "cannot be reached")),
            ),
            (
                "The phone is switched off",
                Some((PoweredOff, "switched off")),
            ),
            (
                "This number has been disconnected",
                Some((Suspended, "disconnected")),
            ),
            ("The line is busy", Some((Busy, "busy"))),
            ("hello, how are you", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(classify_announcement(text), want, "{text}");
        }
    }

    #[test]
    fn sit_categories() {
        assert_eq!(sit_result("vacant"), EmptyNumber);
        assert_eq!(sit_result("intercept"), CarrierIntercepted);
        assert_eq!(sit_result("no_circuit"), LineFault);
        assert_eq!(sit_result("reorder"), LineFault);
        assert_eq!(sit_result("ineffective"), Unreachable);
        assert_eq!(sit_result("whatever"), LineFault);
    }
}
