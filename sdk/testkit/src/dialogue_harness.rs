//! `DialogueHarness`: drives a dialogue plugin through a call and keeps score of its actions.

use std::collections::BTreeMap;
use std::sync::Arc;

use voxgate_plugin_host::dialogue::{
    Action, CollectEnd, Digits, Event, HangupInfo, Recognized, Transcript, Utterance,
};
use voxgate_plugin_host::types::{CallInfo, HangupParty};
use voxgate_plugin_host::{DialogueSession, Fault};

use crate::clock::FakeClock;

/// One event and what the plugin answered.
#[derive(Debug, Clone)]
pub struct Turn {
    /// The event sent.
    pub event: Event,
    /// The actions returned, or the fault.
    pub result: Result<Vec<Action>, Fault>,
}

/// A dialogue plugin under test: send events, get actions, inspect tags, score, level,
/// variables and timers.
pub struct DialogueHarness {
    session: DialogueSession,
    clock: Arc<FakeClock>,
    history: Vec<Turn>,
    timers: Vec<(String, u64)>,
    tags: Vec<String>,
    score: i32,
    level: Option<String>,
    variables: BTreeMap<String, String>,
    ended: bool,
}

impl DialogueHarness {
    pub(crate) fn new(session: DialogueSession, clock: Arc<FakeClock>) -> Self {
        DialogueHarness {
            session,
            clock,
            history: Vec::new(),
            timers: Vec::new(),
            tags: Vec::new(),
            score: 0,
            level: None,
            variables: BTreeMap::new(),
            ended: false,
        }
    }

    /// Sends `call-started` with `call` (its variables seed [`variables`](Self::variables)).
    pub fn start(&mut self, call: CallInfo) -> Result<Vec<Action>, Fault> {
        for pair in &call.variables {
            self.variables.insert(pair.name.clone(), pair.value.clone());
        }
        self.send(Event::CallStarted(call))
    }

    /// Sends any event and records the actions it produced.
    pub fn send(&mut self, event: Event) -> Result<Vec<Action>, Fault> {
        if matches!(event, Event::Hangup(_)) {
            self.ended = true;
        }
        let result = self.session.on_event(event.clone());
        if let Ok(actions) = &result {
            self.track(actions);
        }
        self.history.push(Turn {
            event,
            result: result.clone(),
        });
        result
    }

    /// `answered`.
    pub fn answered(&mut self) -> Result<Vec<Action>, Fault> {
        self.send(Event::Answered)
    }

    /// An utterance recognised as `text` (confidence 0.9, 1.2 s, not barged in).
    pub fn say(&mut self, text: &str) -> Result<Vec<Action>, Fault> {
        self.send(Event::Utterance(Utterance {
            transcript: Transcript::Recognized(Recognized {
                text: text.to_owned(),
                confidence: 0.9,
            }),
            duration_ms: 1200,
            barged_in: false,
        }))
    }

    /// `no-input`: the callee said nothing.
    pub fn silence(&mut self) -> Result<Vec<Action>, Fault> {
        self.send(Event::NoInput)
    }

    /// One DTMF digit.
    pub fn digit(&mut self, digit: char) -> Result<Vec<Action>, Fault> {
        self.send(Event::Dtmf(digit))
    }

    /// `digits-collected` with `digits` and how collection ended.
    pub fn digits(&mut self, digits: &str, end: CollectEnd) -> Result<Vec<Action>, Fault> {
        self.send(Event::DigitsCollected(Digits {
            digits: digits.to_owned(),
            end,
        }))
    }

    /// `playback-finished`, not cut short.
    pub fn playback_finished(&mut self) -> Result<Vec<Action>, Fault> {
        self.send(Event::PlaybackFinished(false))
    }

    /// `hangup` by `by`.
    pub fn hangup(&mut self, by: HangupParty) -> Result<Vec<Action>, Fault> {
        let reason = match by {
            HangupParty::Remote => "callee hung up",
            HangupParty::Bot => "bot hung up",
            HangupParty::Network => "network",
            HangupParty::Engine => "shutdown",
        };
        self.send(Event::Hangup(HangupInfo {
            by,
            reason: reason.to_owned(),
        }))
    }

    /// Moves the fake clock by `ms`, firing every timer that falls due on the way (in due
    /// order, the clock set to each timer's due time); returns the actions they produced.
    pub fn advance(&mut self, ms: u64) -> Result<Vec<Action>, Fault> {
        let target = self.clock.now_ms().saturating_add(ms);
        let mut actions = Vec::new();
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (_, at))| *at <= target)
                .min_by_key(|(_, (_, at))| *at)
                .map(|(i, _)| i);
            let Some(index) = due else { break };
            let (id, at) = self.timers.remove(index);
            self.clock.set(at.max(self.clock.now_ms()));
            actions.extend(self.send(Event::TimerFired(id))?);
        }
        self.clock.set(target);
        Ok(actions)
    }

    fn track(&mut self, actions: &[Action]) {
        let now = self.clock.now_ms();
        for action in actions {
            match action {
                Action::Tag(tag) => self.tags.push(tag.clone()),
                Action::AddScore(delta) => self.score = self.score.saturating_add(*delta),
                Action::SetLevel(level) => self.level = Some(level.clone()),
                Action::SetVariable(pair) => {
                    self.variables.insert(pair.name.clone(), pair.value.clone());
                }
                Action::StartTimer(timer) => {
                    self.timers.retain(|(id, _)| *id != timer.id);
                    self.timers.push((
                        timer.id.clone(),
                        now.saturating_add(u64::from(timer.after_ms)),
                    ));
                }
                Action::CancelTimer(id) => self.timers.retain(|(t, _)| t != id),
                Action::HangUp(_) => self.ended = true,
                _ => {}
            }
        }
    }

    /// Tags added so far, in order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// The score (sum of `add-score`).
    pub fn score(&self) -> i32 {
        self.score
    }

    /// The last level set.
    pub fn level(&self) -> Option<&str> {
        self.level.as_deref()
    }

    /// Call variables: those of `start` overlaid with `set-variable` actions.
    pub fn variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }

    /// Timers pending: id and due time (Unix ms).
    pub fn timers(&self) -> &[(String, u64)] {
        &self.timers
    }

    /// True once the plugin returned `hang-up` or a `hangup` event was sent.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Every event sent and its result.
    pub fn history(&self) -> &[Turn] {
        &self.history
    }

    /// The plugin's log (`host.log`, `log` actions, stdout, stderr) as `level: message`.
    pub fn log_lines(&self) -> Vec<String> {
        self.session.log_lines().map(ToString::to_string).collect()
    }

    /// The underlying session (memory use, the plugin version, fault state).
    pub fn session(&self) -> &DialogueSession {
        &self.session
    }
}
