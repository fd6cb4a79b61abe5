//! The persona file, checked: the carrier's sockets and voice, and per called number a persona
//! (ring time, outcome, early media, the turns of an answered call).
//!
//! [`load_personas`] reads and validates a file; every problem comes back located as
//! `file:line:col: message` ([`PersonaErrors`]). The TOML format is documented in
//! `engine/sim-carrier/PERSONAS.md`.

mod outcome;
mod raw;
mod validate;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use outcome::{Outcome, OutcomeDefaults, SUSPENDED_ANNOUNCEMENT};

/// A checked persona file.
#[derive(Debug, Clone, PartialEq)]
pub struct Personas {
    /// The `[carrier]` table.
    pub carrier: CarrierSettings,
    /// The `[[persona]]` entries in file order (the first match wins).
    pub personas: Vec<Persona>,
}

impl Personas {
    /// The persona for a called number: the first whose patterns match it.
    pub fn find(&self, number: &str) -> Option<&Persona> {
        self.personas
            .iter()
            .find(|p| p.numbers.iter().any(|n| n.matches(number)))
    }
}

/// The simulated carrier's own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CarrierSettings {
    /// Where SIP over UDP is received (port 0: any free port).
    pub listen: SocketAddr,
    /// The address RTP is bound to and advertised in SDP.
    pub rtp_ip: IpAddr,
    /// RTP ports (even ports, RTCP on the next odd one).
    pub rtp_ports: RangeInclusive<u16>,
    /// Default TTS language of `say` and `announcement` texts.
    pub language: String,
    /// TTS voice, or the synthesizer's default.
    pub voice: Option<String>,
    /// The codec answered first when the engine offers it.
    pub answer_codec: AnswerCodec,
    /// Bot speech needed before it counts as speech (the VAD's endpointing).
    pub min_speech_ms: u32,
    /// Silence after the bot's speech that ends its utterance: the callee's cue to answer.
    pub end_silence_ms: u32,
}

/// The G.711 law answered by preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerCodec {
    /// µ-law.
    Pcmu,
    /// A-law.
    Pcma,
}

/// One simulated callee.
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// The persona's name (journal and logs).
    pub name: String,
    /// Numbers it answers for.
    pub numbers: Vec<NumberPattern>,
    /// How the call ends up.
    pub outcome: Outcome,
    /// Ringing (180) before the early media or the final response; `None`: ring until the
    /// caller cancels (only `no_answer` without `ring_ms`).
    pub ring: Option<Duration>,
    /// The final response code (200 for `answer`).
    pub code: u16,
    /// The `Reason` header sent with a failure, e.g. `Q.850;cause=17`.
    pub reason: Option<String>,
    /// Audio sent in early media (183 with SDP) before the final response.
    pub early_media: Option<EarlyMedia>,
    /// TTS language of its texts.
    pub language: String,
    /// What the callee does once answered, in order.
    pub turns: Vec<Turn>,
    /// How long the callee waits for the bot before hanging up itself.
    pub hangup_after: Duration,
}

/// A called-number pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberPattern {
    /// This number exactly.
    Exact(String),
    /// Every number starting with this (written with a trailing `*`).
    Prefix(String),
}

impl NumberPattern {
    /// Whether `number` matches.
    pub fn matches(&self, number: &str) -> bool {
        match self {
            NumberPattern::Exact(n) => n == number,
            NumberPattern::Prefix(p) => number.starts_with(p.as_str()),
        }
    }
}

/// Early media before a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EarlyMedia {
    /// A special information tone (vacant code).
    Sit,
    /// A carrier announcement, spoken by TTS.
    Announcement(String),
}

/// One step of an answered call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Speak a text (TTS).
    Say {
        /// The text.
        text: String,
        /// Barge in this long after the bot starts talking, instead of waiting for it to end.
        interrupt_after: Option<Duration>,
    },
    /// Play an audio file (WAV, MP3, OGG, FLAC).
    Play {
        /// The file, resolved against the persona file's folder.
        path: PathBuf,
        /// As for `Say`.
        interrupt_after: Option<Duration>,
    },
    /// Send RFC 4733 digits.
    Digits(String),
    /// Stay silent this long.
    Silence(Duration),
    /// Hang up (BYE).
    Hangup,
}

impl Turn {
    /// The turn's kind as written in the file (`say`, `play`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Turn::Say { .. } => "say",
            Turn::Play { .. } => "play",
            Turn::Digits(_) => "digits",
            Turn::Silence(_) => "silence_ms",
            Turn::Hangup => "hangup",
        }
    }

    /// When the turn barges in on the bot rather than waiting for it to finish.
    pub fn interrupt_after(&self) -> Option<Duration> {
        match self {
            Turn::Say {
                interrupt_after, ..
            }
            | Turn::Play {
                interrupt_after, ..
            } => *interrupt_after,
            _ => None,
        }
    }

    /// What the turn says, plays or sends, for the journal.
    pub fn detail(&self) -> String {
        match self {
            Turn::Say { text, .. } => text.clone(),
            Turn::Play { path, .. } => path.display().to_string(),
            Turn::Digits(digits) => digits.clone(),
            Turn::Silence(d) => d.as_millis().to_string(),
            Turn::Hangup => String::new(),
        }
    }
}

/// One located problem in a persona file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonaIssue {
    /// The file.
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PersonaIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

/// Every problem found in a persona file (never empty), in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PersonaErrors(pub Vec<PersonaIssue>);

impl fmt::Display for PersonaErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|i| format!("error: {i}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Read and check a persona file; `play` paths are resolved against its folder.
pub fn load_personas(path: &Path) -> Result<Personas, PersonaErrors> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        PersonaErrors(vec![PersonaIssue {
            origin: origin.clone(),
            line: 1,
            column: 1,
            message: format!("cannot read the persona file: {e}"),
        }])
    })?;
    parse_personas(&text, &origin, path.parent().unwrap_or(Path::new(".")))
}

/// Check a persona file's text; `origin` names it in errors, `base_dir` resolves `play` paths
/// (which must exist).
pub fn parse_personas(
    text: &str,
    origin: &str,
    base_dir: &Path,
) -> Result<Personas, PersonaErrors> {
    validate::parse(text, origin, base_dir)
}
