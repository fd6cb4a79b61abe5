//! What a [`crate::FlowRun`] is told and what it asks for.

use crate::model::{PromptPart, TransferTarget};

/// Something that happened on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowInput {
    /// The call was created (before answer for outbound calls).
    Started,
    /// The call was answered: the flow enters its start node.
    Answered,
    /// The callee finished an utterance.
    Utterance {
        /// The recognised text; `None` without a recogniser or when it failed.
        text: Option<String>,
        /// The speech interrupted a prompt.
        barged_in: bool,
    },
    /// Nothing was said within the node's no-input time.
    NoInput,
    /// One DTMF digit (ignored while the node collects digits: its
    /// [`FlowInput::DigitsCollected`] follows).
    Dtmf(char),
    /// A [`FlowOutput::CollectDigits`] finished; empty digits mean nothing was pressed.
    DigitsCollected {
        /// The digits, terminator excluded.
        digits: String,
    },
    /// The last play finished (`interrupted`: cut short by barge-in or a digit).
    PlaybackFinished {
        /// Cut short.
        interrupted: bool,
    },
    /// A timer started by [`FlowOutput::StartTimer`] fired.
    TimerFired(String),
    /// The result of a [`FlowOutput::Transfer`].
    TransferResult {
        /// The target answered.
        connected: bool,
    },
    /// The call ended.
    Hangup,
}

/// Severity of a [`FlowOutput::Log`] line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Details for script writers.
    Debug,
    /// The flow's progress.
    Info,
    /// Something the script writer should look at.
    Warn,
}

/// What the flow wants done, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowOutput {
    /// Play these parts, replacing what plays.
    Play {
        /// Recordings and TTS text (with `${var}` left for the host).
        parts: Vec<PromptPart>,
        /// The callee may interrupt.
        barge_in: bool,
    },
    /// Listen for the callee once the play before it has finished.
    Listen {
        /// Silence before [`FlowInput::NoInput`].
        no_input_ms: u32,
        /// Silence that ends an utterance, when the node overrides it.
        end_silence_ms: Option<u32>,
    },
    /// Collect digits once the play before it has finished (or at the first digit).
    CollectDigits {
        /// Digits to collect at most.
        max_digits: u8,
        /// Digit that ends collection early.
        terminator: Option<char>,
        /// Time allowed for the first digit and between digits.
        timeout_ms: u32,
    },
    /// Transfer the call.
    Transfer(TransferTarget),
    /// Play the final prompt (may be empty) and hang up.
    HangUp {
        /// Played before hanging up.
        final_prompt: Vec<PromptPart>,
    },
    /// Add a tag to the call.
    Tag(String),
    /// Add to the call's score.
    AddScore(i32),
    /// The intent level of the call (emitted once, when the flow ends).
    SetLevel(String),
    /// Set a call variable.
    SetVariable {
        /// Its name.
        name: String,
        /// Its value.
        value: String,
    },
    /// What the flow made of one callee turn, for the call record.
    NoteRound {
        /// The node that answered.
        node: String,
        /// The branch or intent matched, if any.
        intent: Option<String>,
        /// The keyword, phrase, regex or digits that matched.
        keywords: Vec<String>,
    },
    /// Start a timer that fires [`FlowInput::TimerFired`].
    StartTimer {
        /// Its id.
        id: String,
        /// Delay.
        after_ms: u32,
    },
    /// Cancel a timer.
    CancelTimer(String),
    /// A log line.
    Log {
        /// Severity.
        level: LogLevel,
        /// The line.
        message: String,
    },
}
