//! The dialogue side of a call: events the call reports to whatever runs its dialogue (the
//! route's built-in [`Script`](crate::Script) or a dialogue plugin, through the server), and the
//! actions that come back. These mirror the `dialogue` world of `sdk/wit`; the server translates
//! between the two, so this crate knows nothing of WebAssembly.

use std::time::Duration;

use serde::Serialize;
use voxgate_audio::endpointing::EndpointingOverrides;

use crate::digits::{DigitCollection, DigitsDone};
use crate::outcome::HangupBy;

/// What the recogniser made of an utterance.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Transcript {
    /// Recognised text with a confidence in 0..=1.
    Recognized {
        /// The text.
        text: String,
        /// Confidence in 0..=1.
        confidence: f32,
    },
    /// No recogniser is configured.
    NoRecognizer,
    /// The recogniser failed or timed out.
    Failed(String),
}

impl Transcript {
    /// The recognised text, if any.
    pub fn text(&self) -> Option<&str> {
        match self {
            Transcript::Recognized { text, .. } => Some(text),
            _ => None,
        }
    }
}

/// A piece of a prompt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptPart {
    /// A recorded prompt (a file the server resolves).
    File(String),
    /// Text for the TTS provider (`${var}` substituted by the server).
    Tts(String),
}

impl PromptPart {
    /// How the part reads in the record: the file id, or the text.
    pub fn label(&self) -> &str {
        match self {
            PromptPart::File(id) | PromptPart::Tts(id) => id,
        }
    }
}

/// Where a transfer goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// An agent group the operator configured.
    AgentGroup(String),
    /// A SIP URI or number.
    Uri(String),
}

/// What the dialogue decided about the current round, for the record.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize)]
pub struct RoundNote {
    /// The node or state that answered.
    pub node: String,
    /// The intent or branch matched.
    pub intent: Option<String>,
    /// Keywords that matched.
    pub keywords: Vec<String>,
}

/// Something the dialogue must react to.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BotEvent {
    /// The call was created.
    Started,
    /// The call was answered; media flows.
    Answered,
    /// The callee started speaking.
    SpeechStarted,
    /// The callee finished an utterance.
    Utterance {
        /// What the recogniser made of it.
        transcript: Transcript,
        /// Length of the speech.
        duration_ms: u32,
        /// It interrupted a prompt.
        barged_in: bool,
    },
    /// Nothing was said within the no-input time.
    NoInput,
    /// One DTMF digit.
    Dtmf(char),
    /// A digit collection finished.
    DigitsCollected {
        /// The digits (terminator excluded).
        digits: String,
        /// Why it ended.
        done: DigitsDone,
    },
    /// The last play finished; `cut` when it was stopped early.
    PlaybackFinished {
        /// Stopped by barge-in or a digit.
        cut: bool,
    },
    /// A timer started by the dialogue fired.
    TimerFired(String),
    /// The result of a transfer.
    TransferResult {
        /// Where it went.
        target: String,
        /// The target answered.
        connected: bool,
        /// SIP status or why it failed.
        detail: String,
    },
    /// The call ended.
    Hangup {
        /// Who ended it.
        by: HangupBy,
        /// Why, in words.
        reason: String,
    },
}

/// What the dialogue wants done.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BotAction {
    /// Play these parts in order, replacing what plays.
    Play {
        /// The parts.
        parts: Vec<PromptPart>,
        /// Speech may interrupt it; `None` keeps the route's or campaign's setting.
        barge_in: Option<bool>,
    },
    /// Stop what plays.
    StopPlayback,
    /// Endpointing for the next listening period.
    Listen(EndpointingOverrides),
    /// Collect digits; the first-digit time-out starts when the current prompt ends.
    CollectDigits(DigitCollection),
    /// Transfer the call.
    Transfer(TransferTarget),
    /// Play the final prompt (if any), then hang up.
    HangUp {
        /// Played before hanging up.
        final_prompt: Vec<PromptPart>,
    },
    /// Add a tag.
    Tag(String),
    /// Add to the score.
    AddScore(i32),
    /// Set the intent level.
    SetLevel(String),
    /// Set a variable.
    SetVariable {
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// Start (or restart) a timer.
    StartTimer {
        /// The dialogue's id for it.
        id: String,
        /// When it fires.
        after: Duration,
    },
    /// Cancel a timer.
    CancelTimer(String),
    /// Describe the current round.
    NoteRound(RoundNote),
}
