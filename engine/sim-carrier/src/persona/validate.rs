//! From the raw file to [`Personas`]: every value checked, every problem located.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::raw::{RawCarrier, RawFile, RawPersona, RawTurn};
use super::{
    AnswerCodec, CarrierSettings, EarlyMedia, NumberPattern, Outcome, Persona, PersonaErrors,
    PersonaIssue, Personas, Turn,
};

/// Longest ring, early-media or silence time accepted (10 minutes).
const MAX_MS: i64 = 600_000;
/// Default wait for the bot before the callee hangs up.
const DEFAULT_HANGUP_AFTER_MS: i64 = 30_000;

/// Collects located issues.
struct Report<'t> {
    origin: &'t str,
    text: &'t str,
    issues: Vec<PersonaIssue>,
}

impl Report<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let mut start = span.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.issues.push(PersonaIssue {
            origin: self.origin.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    /// A millisecond count within `0..=MAX_MS`.
    fn millis(&mut self, value: &Spanned<i64>, key: &str) -> Option<Duration> {
        let ms = *value.get_ref();
        if (0..=MAX_MS).contains(&ms) {
            Some(Duration::from_millis(ms as u64))
        } else {
            self.error(
                value.span(),
                format!("{key} = {ms} is outside 0..={MAX_MS}"),
            );
            None
        }
    }
}

/// Parse and check a persona file.
pub(super) fn parse(text: &str, origin: &str, base_dir: &Path) -> Result<Personas, PersonaErrors> {
    let mut report = Report {
        origin,
        text,
        issues: Vec::new(),
    };
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let message = e.message().trim().replace('\n', " ");
            report.error(e.span().unwrap_or(0..0), message);
            return Err(PersonaErrors(report.issues));
        }
    };
    let carrier = match raw.carrier {
        Some(c) => carrier(&mut report, c.get_ref()),
        None => carrier(&mut report, &RawCarrier::default()),
    };
    if raw.persona.is_empty() {
        report.error(0..0, "no [[persona]]: add at least one");
    }
    let mut names = HashSet::new();
    let personas: Vec<Persona> = raw
        .persona
        .iter()
        .filter_map(|p| persona(&mut report, p, &carrier, base_dir, &mut names))
        .collect();
    if report.issues.is_empty() {
        return Ok(Personas { carrier, personas });
    }
    report.issues.sort_by_key(|i| (i.line, i.column));
    Err(PersonaErrors(report.issues))
}

fn carrier(report: &mut Report, raw: &RawCarrier) -> CarrierSettings {
    let mut settings = CarrierSettings {
        listen: SocketAddr::from(([127, 0, 0, 1], 5090)),
        rtp_ip: IpAddr::from([127, 0, 0, 1]),
        rtp_ports: 32000..=32999,
        language: "en".to_owned(),
        voice: raw.voice.as_ref().map(|v| v.get_ref().clone()),
        answer_codec: AnswerCodec::Pcmu,
        min_speech_ms: 200,
        end_silence_ms: 700,
    };
    if let Some(listen) = &raw.listen {
        match listen.get_ref().parse() {
            Ok(addr) => settings.listen = addr,
            Err(_) => report.error(
                listen.span(),
                "listen: expected IP:port, e.g. \"127.0.0.1:5090\"",
            ),
        }
    }
    if let Some(ip) = &raw.rtp_ip {
        match ip.get_ref().parse() {
            Ok(addr) => settings.rtp_ip = addr,
            Err(_) => report.error(ip.span(), "rtp_ip: expected an IP address"),
        }
    }
    if let Some(ports) = &raw.rtp_ports {
        let values: Vec<i64> = ports.get_ref().iter().map(|p| *p.get_ref()).collect();
        match values.as_slice() {
            [lo, hi] if (2..=65535).contains(lo) && (*lo < *hi) && *hi <= 65535 => {
                settings.rtp_ports = (*lo as u16)..=(*hi as u16);
            }
            _ => report.error(
                ports.span(),
                "rtp_ports: expected [first, last] with 2 <= first < last <= 65535",
            ),
        }
    }
    if let Some(language) = &raw.language {
        if language.get_ref().trim().is_empty() {
            report.error(language.span(), "language: must not be empty");
        } else {
            settings.language = language.get_ref().clone();
        }
    }
    if let Some(codec) = &raw.answer_codec {
        match codec.get_ref().to_ascii_uppercase().as_str() {
            "PCMU" => settings.answer_codec = AnswerCodec::Pcmu,
            "PCMA" => settings.answer_codec = AnswerCodec::Pcma,
            other => report.error(
                codec.span(),
                format!("answer_codec: `{other}` is not PCMU or PCMA"),
            ),
        }
    }
    for (value, key, slot) in [
        (
            &raw.min_speech_ms,
            "min_speech_ms",
            &mut settings.min_speech_ms,
        ),
        (
            &raw.end_silence_ms,
            "end_silence_ms",
            &mut settings.end_silence_ms,
        ),
    ] {
        if let Some(v) = value {
            match report.millis(v, key) {
                Some(d) if d.as_millis() >= 10 => *slot = d.as_millis() as u32,
                Some(_) => report.error(v.span(), format!("{key}: at least 10 ms")),
                None => {}
            }
        }
    }
    settings
}

fn persona(
    report: &mut Report,
    raw: &Spanned<RawPersona>,
    carrier: &CarrierSettings,
    base_dir: &Path,
    names: &mut HashSet<String>,
) -> Option<Persona> {
    let span = raw.span();
    let raw = raw.get_ref();
    let before = report.issues.len();
    let name = match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            report.error(n.span(), "name: must not be empty");
            String::new()
        }
        Some(n) => {
            if !names.insert(n.get_ref().clone()) {
                report.error(n.span(), format!("name: `{}` is used twice", n.get_ref()));
            }
            n.get_ref().clone()
        }
        None => {
            report.error(span.clone(), "persona: `name` is missing");
            String::new()
        }
    };
    let numbers = numbers(report, raw, span.clone());
    let outcome = match &raw.outcome {
        Some(o) => Outcome::from_name(o.get_ref()).or_else(|| {
            let known: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
            let message = format!(
                "outcome: `{}` is not one of {}",
                o.get_ref(),
                known.join(", ")
            );
            report.error(o.span(), message);
            None
        }),
        None => {
            report.error(span.clone(), "persona: `outcome` is missing");
            None
        }
    };
    let outcome = outcome?;
    let defaults = outcome.defaults();
    let ring = match &raw.ring_ms {
        Some(r) => report.millis(r, "ring_ms"),
        None => defaults.ring,
    };
    let code = match &raw.code {
        Some(c) if outcome == Outcome::Answer => {
            report.error(c.span(), "code: an answered call is always 200");
            200
        }
        Some(c) if (300..=699).contains(c.get_ref()) => *c.get_ref() as u16,
        Some(c) => {
            report.error(
                c.span(),
                format!(
                    "code: {} is not a final failure code (300-699)",
                    c.get_ref()
                ),
            );
            defaults.code
        }
        None => defaults.code,
    };
    let reason = match &raw.reason {
        Some(r) if outcome == Outcome::Answer => {
            report.error(r.span(), "reason: only failures carry a Reason header");
            None
        }
        Some(r) if r.get_ref().contains(['\r', '\n']) || r.get_ref().trim().is_empty() => {
            report.error(
                r.span(),
                "reason: must be one non-empty line, e.g. \"Q.850;cause=17\"",
            );
            None
        }
        Some(r) => Some(r.get_ref().clone()),
        None => defaults.reason.map(str::to_owned),
    };
    let early_media = early_media(report, raw, outcome, defaults.early_media);
    let language = raw
        .language
        .as_ref()
        .map_or_else(|| carrier.language.clone(), |l| l.get_ref().clone());
    if outcome != Outcome::Answer
        && let Some(turn) = raw.turns.first()
    {
        report.error(
            turn.span(),
            "turns: only an answered persona (outcome = \"answer\") has turns",
        );
    }
    let turns: Vec<Turn> = raw
        .turns
        .iter()
        .filter_map(|t| turn(report, t, base_dir))
        .collect();
    let hangup_after = match &raw.hangup_after_ms {
        Some(h) if *h.get_ref() == 0 => {
            report.error(h.span(), "hangup_after_ms: must be above 0");
            None
        }
        Some(h) => report.millis(h, "hangup_after_ms"),
        None => Some(Duration::from_millis(DEFAULT_HANGUP_AFTER_MS as u64)),
    };
    (report.issues.len() == before).then_some(())?;
    Some(Persona {
        name,
        numbers,
        outcome,
        ring: if outcome == Outcome::NoAnswer {
            ring
        } else {
            Some(ring.unwrap_or_default())
        },
        code,
        reason,
        early_media,
        language,
        turns,
        hangup_after: hangup_after?,
    })
}

fn numbers(report: &mut Report, raw: &RawPersona, span: Range<usize>) -> Vec<NumberPattern> {
    let Some(list) = &raw.numbers else {
        report.error(span, "persona: `numbers` is missing");
        return Vec::new();
    };
    if list.get_ref().is_empty() {
        report.error(list.span(), "numbers: list at least one number or prefix*");
    }
    let mut patterns = Vec::new();
    for number in list.get_ref() {
        let text = number.get_ref();
        let (digits, prefix) = match text.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (text.as_str(), false),
        };
        let valid = digits.strip_prefix('+').unwrap_or(digits);
        if (valid.is_empty() && !prefix) || !valid.chars().all(|c| c.is_ascii_digit()) {
            report.error(
                number.span(),
                format!(
                    "numbers: `{text}` is not digits (optional leading +, optional trailing *)"
                ),
            );
            continue;
        }
        patterns.push(if prefix {
            NumberPattern::Prefix(digits.to_owned())
        } else {
            NumberPattern::Exact(digits.to_owned())
        });
    }
    patterns
}

fn early_media(
    report: &mut Report,
    raw: &RawPersona,
    outcome: Outcome,
    default: Option<EarlyMedia>,
) -> Option<EarlyMedia> {
    let chosen = match (&raw.early_media, &raw.announcement) {
        (Some(_), Some(a)) => {
            report.error(
                a.span(),
                "announcement: give either early_media = \"sit\" or an announcement, not both",
            );
            return None;
        }
        (Some(e), None) if e.get_ref() == "sit" => Some((e.span(), EarlyMedia::Sit)),
        (Some(e), None) => {
            report.error(
                e.span(),
                format!(
                    "early_media: `{}` is not \"sit\" (for speech use `announcement`)",
                    e.get_ref()
                ),
            );
            return None;
        }
        (None, Some(a)) if a.get_ref().trim().is_empty() => {
            report.error(a.span(), "announcement: must not be empty");
            return None;
        }
        (None, Some(a)) => Some((a.span(), EarlyMedia::Announcement(a.get_ref().clone()))),
        (None, None) => return default,
    };
    match chosen {
        Some((span, _)) if outcome == Outcome::Answer => {
            report.error(
                span,
                "early media is for failures: an answered persona has none",
            );
            None
        }
        other => other.map(|(_, media)| media),
    }
}

fn turn(report: &mut Report, raw: &Spanned<RawTurn>, base_dir: &Path) -> Option<Turn> {
    let span = raw.span();
    let t = raw.get_ref();
    let given = [
        t.say.is_some(),
        t.play.is_some(),
        t.digits.is_some(),
        t.silence_ms.is_some(),
        t.hangup.is_some(),
    ]
    .into_iter()
    .filter(|g| *g)
    .count();
    if given != 1 {
        report.error(
            span,
            "turn: give exactly one of say, play, digits, silence_ms, hangup",
        );
        return None;
    }
    let interrupt_after = match &t.interrupt_after_ms {
        Some(i) if t.say.is_none() && t.play.is_none() => {
            report.error(
                i.span(),
                "interrupt_after_ms: only a `say` or `play` turn can interrupt",
            );
            return None;
        }
        Some(i) => Some(report.millis(i, "interrupt_after_ms")?),
        None => None,
    };
    if let Some(text) = &t.say {
        if text.get_ref().trim().is_empty() {
            report.error(text.span(), "say: must not be empty");
            return None;
        }
        return Some(Turn::Say {
            text: text.get_ref().clone(),
            interrupt_after,
        });
    }
    if let Some(file) = &t.play {
        let path = base_dir.join(file.get_ref());
        if !path.is_file() {
            report.error(
                file.span(),
                format!("play: `{}` is not a file", path.display()),
            );
            return None;
        }
        return Some(Turn::Play {
            path,
            interrupt_after,
        });
    }
    if let Some(digits) = &t.digits {
        let valid = |c: char| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D');
        if digits.get_ref().is_empty() || !digits.get_ref().chars().all(valid) {
            report.error(
                digits.span(),
                format!("digits: `{}` is not 0-9, *, #, A-D", digits.get_ref()),
            );
            return None;
        }
        return Some(Turn::Digits(digits.get_ref().clone()));
    }
    if let Some(ms) = &t.silence_ms {
        return match report.millis(ms, "silence_ms") {
            Some(d) if !d.is_zero() => Some(Turn::Silence(d)),
            Some(_) => {
                report.error(ms.span(), "silence_ms: must be above 0");
                None
            }
            None => None,
        };
    }
    match &t.hangup {
        Some(h) if *h.get_ref() => Some(Turn::Hangup),
        Some(h) => {
            report.error(
                h.span(),
                "hangup: write `hangup = true` (or leave the turn out)",
            );
            None
        }
        None => None,
    }
}
