//! The callee of one answered call, as a sans-IO state machine in virtual time.
//!
//! Inputs: the bot's voice as the front end hears it ([`Callee::handle_bot_speech_started`],
//! [`Callee::handle_bot_utterance_ended`]), the end of the callee's own audio
//! ([`Callee::handle_audio_finished`]) and time ([`Callee::handle_timeout`]). Outputs: actions
//! ([`Callee::poll_action`]) for the media loop to carry out. Drive contract: after any input,
//! drain `poll_action` until `None`, then call `handle_timeout` at `poll_timeout`.
//!
//! Rules:
//! - A turn waits for the bot to finish talking: an utterance of the bot (speech, then the
//!   endpointer's end-of-utterance silence) that ends after the callee's previous turn ended.
//!   During a `silence_ms` turn the callee listens, so a bot utterance that ends then counts
//!   for the next turn.
//! - A turn with `interrupt_after` waits for the bot to START talking and barges in that long
//!   after the first frame of its speech (at once if the bot already talked that long); if the
//!   bot stops first, the turn is spoken as a normal reply.
//! - Waiting for the bot (before a turn, or after the last one) lasts at most `hangup_after`;
//!   then the callee hangs up.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::persona::Turn;

/// What the media loop must do for the callee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalleeAction {
    /// Speak this text (TTS, pre-synthesised).
    Say {
        /// Index of the turn.
        turn: usize,
        /// The text.
        text: String,
    },
    /// Play this file.
    Play {
        /// Index of the turn.
        turn: usize,
        /// The file.
        path: PathBuf,
    },
    /// Send these RFC 4733 digits.
    SendDigits {
        /// Index of the turn.
        turn: usize,
        /// The digits.
        digits: String,
    },
    /// Hang up the call.
    Hangup,
}

/// A turn as it was performed, times in ms since the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PerformedTurn {
    /// Index of the turn in the persona.
    pub turn: usize,
    /// `say`, `play`, `digits`, `silence_ms` or `hangup`.
    pub kind: &'static str,
    /// Its text, file, digits or duration.
    pub detail: String,
    /// When it started.
    pub at_ms: u64,
    /// When its audio (or silence) ended; `None` if the call ended first.
    pub end_ms: Option<u64>,
    /// It barged in on the bot.
    pub interrupted_bot: bool,
}

/// A stretch of bot speech the callee heard, in ms since the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeardSegment {
    /// First frame of the speech.
    pub start_ms: u64,
    /// End of its last voiced frame.
    pub end_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the bot before turn `next` (or before hanging up when no turn is left).
    Waiting { since: Instant },
    /// Barging in at `at`.
    Interrupting { at: Instant },
    /// The callee's audio (speech, file, digits) plays.
    Acting,
    /// A silence turn runs until `until`.
    Silent { until: Instant },
    /// The callee hung up.
    HungUp,
}

/// One simulated callee; see the module docs.
#[derive(Debug)]
pub struct Callee {
    start: Instant,
    turns: Vec<Turn>,
    next: usize,
    hangup_after: Duration,
    state: State,
    bot_talking_since: Option<Instant>,
    bot_finished_while_silent: bool,
    actions: VecDeque<CalleeAction>,
    performed: Vec<PerformedTurn>,
    heard: Vec<HeardSegment>,
}

impl Callee {
    /// A callee whose call was answered at `now`.
    pub fn new(now: Instant, turns: Vec<Turn>, hangup_after: Duration) -> Self {
        Self {
            start: now,
            turns,
            next: 0,
            hangup_after,
            state: State::Waiting { since: now },
            bot_talking_since: None,
            bot_finished_while_silent: false,
            actions: VecDeque::new(),
            performed: Vec::new(),
            heard: Vec::new(),
        }
    }

    /// The bot's speech started to count; `start` is its first frame.
    pub fn handle_bot_speech_started(&mut self, now: Instant, start: Instant) {
        self.bot_talking_since = Some(start);
        if matches!(self.state, State::Waiting { .. })
            && let Some(after) = self.next_turn().and_then(Turn::interrupt_after)
        {
            self.state = State::Interrupting {
                at: (start + after).max(now),
            };
        }
    }

    /// An utterance of the bot ended (`start`..`end`).
    pub fn handle_bot_utterance_ended(&mut self, now: Instant, start: Instant, end: Instant) {
        self.bot_talking_since = None;
        self.heard.push(HeardSegment {
            start_ms: self.ms(start),
            end_ms: self.ms(end),
        });
        match self.state {
            State::Waiting { .. }
                if self
                    .next_turn()
                    .is_some_and(|t| t.interrupt_after().is_none()) =>
            {
                self.perform(now, false)
            }
            State::Interrupting { .. } => self.perform(now, false),
            State::Silent { .. } => self.bot_finished_while_silent = true,
            _ => {}
        }
    }

    /// The callee's audio (speech, file or digits) finished playing.
    pub fn handle_audio_finished(&mut self, now: Instant) {
        if self.state == State::Acting {
            self.end_turn(now);
        }
    }

    /// Fire what is due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Interrupting { at } if at <= now => self.perform(now, true),
            State::Silent { until } if until <= now => self.end_turn(now),
            State::Waiting { since } if since + self.hangup_after <= now => self.hang_up(),
            _ => {}
        }
    }

    /// When [`Callee::handle_timeout`] has work next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Interrupting { at } => Some(at),
            State::Silent { until } => Some(until),
            State::Waiting { since } => Some(since + self.hangup_after),
            State::Acting | State::HungUp => None,
        }
    }

    /// The next action to carry out.
    pub fn poll_action(&mut self) -> Option<CalleeAction> {
        self.actions.pop_front()
    }

    /// Whether the callee hung up.
    pub fn hung_up(&self) -> bool {
        self.state == State::HungUp
    }

    /// The turns performed so far.
    pub fn performed(&self) -> &[PerformedTurn] {
        &self.performed
    }

    /// The bot speech heard so far.
    pub fn heard(&self) -> &[HeardSegment] {
        &self.heard
    }

    fn next_turn(&self) -> Option<&Turn> {
        self.turns.get(self.next)
    }

    fn ms(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_millis() as u64
    }

    /// Start turn `next` at `now`.
    fn perform(&mut self, now: Instant, interrupted_bot: bool) {
        let Some(turn) = self.turns.get(self.next).cloned() else {
            return;
        };
        let index = self.next;
        self.performed.push(PerformedTurn {
            turn: index,
            kind: turn.kind(),
            detail: turn.detail(),
            at_ms: self.ms(now),
            end_ms: None,
            interrupted_bot,
        });
        self.bot_finished_while_silent = false;
        self.state = State::Acting;
        match turn {
            Turn::Say { text, .. } => self
                .actions
                .push_back(CalleeAction::Say { turn: index, text }),
            Turn::Play { path, .. } => self
                .actions
                .push_back(CalleeAction::Play { turn: index, path }),
            Turn::Digits(digits) => self.actions.push_back(CalleeAction::SendDigits {
                turn: index,
                digits,
            }),
            Turn::Silence(length) => {
                self.state = State::Silent {
                    until: now + length,
                }
            }
            Turn::Hangup => {
                if let Some(last) = self.performed.last_mut() {
                    last.end_ms = Some(last.at_ms);
                }
                self.hang_up();
            }
        }
    }

    /// The current turn ended at `now`: arm the next one.
    fn end_turn(&mut self, now: Instant) {
        let end = self.ms(now);
        if let Some(last) = self.performed.last_mut() {
            last.end_ms = Some(end);
        }
        let bot_already_answered = self.bot_finished_while_silent;
        self.next += 1;
        self.state = State::Waiting { since: now };
        match self.next_turn().map(Turn::interrupt_after) {
            Some(Some(after)) => {
                if let Some(since) = self.bot_talking_since {
                    self.state = State::Interrupting {
                        at: (since + after).max(now),
                    };
                }
            }
            Some(None) if bot_already_answered => self.perform(now, false),
            _ => {}
        }
    }

    fn hang_up(&mut self) {
        self.actions.push_back(CalleeAction::Hangup);
        self.state = State::HungUp;
    }
}
