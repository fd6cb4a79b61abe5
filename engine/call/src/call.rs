//! The per-call state machine.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::digits::{DigitCollection, DigitCollector};
use crate::outcome::{HangupBy, Outcome};
use crate::record::{CallRecord, Direction, DtmfEntry, DtmfSource, PromptPlayed, WallClock};

/// How long we wait for our BYE or CANCEL to complete before declaring the call ended anyway.
/// The SIP layer always reports completion (Timer F is 32 s); this only guards the record.
const TEARDOWN_LIMIT: Duration = Duration::from_secs(40);

/// What to do once a call is answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// Prompt played first (a key the server's prompt cache understands: the file path).
    pub prompt: Option<String>,
    /// Digits to collect after (or during) the prompt.
    pub collect: Option<DigitCollection>,
    /// Prompt played after collection, before hanging up.
    pub goodbye: Option<String>,
    /// A digit pressed during the first prompt stops it and starts collection.
    pub digit_stops_prompt: bool,
    /// Hang up after this long answered, whatever the script is doing.
    pub max_duration: Duration,
}

/// Facts about the call known when it is created.
#[derive(Clone, Debug)]
pub struct CallSetup {
    /// SIP Call-ID.
    pub call_id: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Trunk name.
    pub trunk: Option<String>,
    /// Inbound route name.
    pub route: Option<String>,
    /// Caller URI.
    pub from: String,
    /// Called number or URI.
    pub to: String,
    /// Signalling address of the remote side.
    pub remote_address: Option<String>,
    /// Outbound only: cancel if not answered within this time.
    pub ring_timeout: Option<Duration>,
    /// Where the recording goes, if the call is recorded.
    pub recording: Option<String>,
}

/// Signalling facts, translated by the server from SIP endpoint events or decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// Outbound: a provisional response (180, 183).
    Progress {
        /// Status code.
        code: u16,
    },
    /// Outbound: 2xx received.
    Answered,
    /// Inbound: our 2xx was acknowledged.
    Confirmed,
    /// Outbound: a final failure; inbound: we rejected the call ourselves.
    Failed {
        /// Final status code.
        code: u16,
        /// Reason phrase.
        reason: String,
        /// Raw Reason header, if any.
        reason_header: Option<String>,
    },
    /// Inbound: the caller cancelled before the answer.
    Cancelled,
    /// The remote side sent BYE.
    RemoteHangup,
    /// Our BYE or CANCEL completed.
    HangupComplete,
    /// Inbound: the ACK for our 2xx never came.
    AckTimeout,
}

/// Media facts from the server's media loop.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaInput {
    /// A DTMF digit.
    Dtmf {
        /// The digit.
        digit: char,
        /// How it arrived.
        source: DtmfSource,
        /// Duration, if reported.
        duration_ms: Option<u32>,
    },
    /// The prompt started by the last [`Action::Play`] finished playing.
    PlaybackFinished,
    /// The callee's speech interrupted the prompt; the media loop already stopped it.
    BargeIn,
}

/// What the server must do for the call.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Inbound: send 180 Ringing.
    Ring,
    /// Inbound: answer (200 OK with our SDP) and start media.
    Answer,
    /// Outbound: send CANCEL (ring time-out or shutdown).
    Cancel,
    /// Play a prompt from the start, replacing whatever plays.
    Play(String),
    /// Stop the current prompt; silence follows.
    StopPlayback,
    /// End an answered call (BYE) or refuse an unanswered inbound call.
    Hangup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Inbound, answered but not yet acknowledged.
    AwaitingAck,
    /// Outbound, INVITE sent.
    Dialing,
    /// Playing the first prompt.
    Prompt,
    /// Collecting digits.
    Collecting,
    /// Playing the goodbye prompt.
    Goodbye,
    /// We hung up or cancelled; waiting for the SIP layer to finish.
    TearingDown,
    /// Finished: the record is final.
    Ended,
}

/// One call: signalling progress, the script, and the record.
#[derive(Debug)]
pub struct Call {
    script: Script,
    clock: WallClock,
    started: Instant,
    stage: Stage,
    ring_deadline: Option<Instant>,
    max_deadline: Option<Instant>,
    teardown_deadline: Option<Instant>,
    collector: Option<DigitCollector>,
    cancelled_for_ring_timeout: bool,
    record: CallRecord,
    actions: VecDeque<Action>,
}

impl Call {
    /// An inbound call that we answer at once: emits [`Action::Ring`] then [`Action::Answer`].
    pub fn inbound(now: Instant, clock: WallClock, setup: CallSetup, script: Script) -> Self {
        let mut call = Self::new(now, clock, setup, script, Stage::AwaitingAck);
        call.record.ring_unix_ms = Some(clock.unix_ms_at(now));
        call.actions.extend([Action::Ring, Action::Answer]);
        call.mark_answered(now);
        call
    }

    /// An outbound call whose INVITE the server has just sent.
    pub fn outbound(now: Instant, clock: WallClock, setup: CallSetup, script: Script) -> Self {
        let ring_deadline = setup.ring_timeout.map(|t| now + t);
        let mut call = Self::new(now, clock, setup, script, Stage::Dialing);
        call.ring_deadline = ring_deadline;
        call
    }

    fn new(now: Instant, clock: WallClock, setup: CallSetup, script: Script, stage: Stage) -> Self {
        let record = CallRecord {
            call_id: setup.call_id,
            direction: setup.direction,
            trunk: setup.trunk,
            route: setup.route,
            from: setup.from,
            to: setup.to,
            remote_address: setup.remote_address,
            invite_unix_ms: clock.unix_ms_at(now),
            ring_unix_ms: None,
            answer_unix_ms: None,
            hangup_unix_ms: None,
            ring_ms: None,
            talk_ms: None,
            outcome: None,
            sip_code: None,
            sip_reason: None,
            reason_header: None,
            hangup_by: None,
            digits: String::new(),
            digits_done: None,
            dtmf: Vec::new(),
            prompts: Vec::new(),
            recording: setup.recording,
            media: None,
            voice: Vec::new(),
        };
        Self {
            script,
            clock,
            started: now,
            stage,
            ring_deadline: None,
            max_deadline: None,
            teardown_deadline: None,
            collector: None,
            cancelled_for_ring_timeout: false,
            record,
            actions: VecDeque::new(),
        }
    }

    /// Feed a signalling fact.
    pub fn handle_signal(&mut self, now: Instant, signal: Signal) {
        if self.stage == Stage::Ended {
            return;
        }
        match signal {
            Signal::Progress { code } => {
                if self.stage == Stage::Dialing && self.record.ring_unix_ms.is_none() && code >= 180
                {
                    self.record.ring_unix_ms = Some(self.clock.unix_ms_at(now));
                }
            }
            Signal::Answered => {
                if self.stage == Stage::Dialing {
                    self.ring_deadline = None;
                    self.mark_answered(now);
                    self.start_script(now);
                }
            }
            Signal::Confirmed => {
                if self.stage == Stage::AwaitingAck {
                    self.start_script(now);
                }
            }
            Signal::Failed {
                code,
                reason,
                reason_header,
            } => {
                let outcome = if code == 487 && self.cancelled_for_ring_timeout {
                    Outcome::NoAnswer
                } else if self.record.direction == Direction::Inbound {
                    Outcome::LineFault
                } else {
                    Outcome::from_failure_code(code)
                };
                self.record.sip_code = Some(code);
                self.record.sip_reason = Some(reason);
                self.record.reason_header = reason_header;
                let by = match (self.record.direction, code) {
                    (Direction::Inbound, _) => HangupBy::Bot,
                    (_, 487) if self.cancelled_for_ring_timeout => HangupBy::Bot,
                    (_, 408) => HangupBy::Network,
                    _ => HangupBy::Remote,
                };
                self.record.answer_unix_ms = None;
                self.end(now, outcome, by);
            }
            Signal::Cancelled => self.end(now, Outcome::Cancelled, HangupBy::Remote),
            Signal::RemoteHangup => self.end(now, Outcome::Answered, HangupBy::Remote),
            Signal::AckTimeout => self.end(now, Outcome::Answered, HangupBy::Network),
            Signal::HangupComplete => {
                if self.stage == Stage::TearingDown {
                    let outcome = self.record.outcome.unwrap_or(Outcome::Answered);
                    let by = self.record.hangup_by.unwrap_or(HangupBy::Bot);
                    self.end(now, outcome, by);
                }
            }
        }
    }

    /// Feed a media fact.
    pub fn handle_media(&mut self, now: Instant, input: MediaInput) {
        match input {
            MediaInput::Dtmf {
                digit,
                source,
                duration_ms,
            } => {
                if self.stage == Stage::Ended {
                    return;
                }
                self.record.dtmf.push(DtmfEntry {
                    digit,
                    at_ms: self.elapsed_ms(now),
                    source,
                    duration_ms,
                });
                self.on_digit(now, digit);
            }
            MediaInput::PlaybackFinished => match self.stage {
                Stage::Prompt => {
                    self.finish_prompt(now, false);
                    self.start_collecting(now);
                }
                Stage::Goodbye => {
                    self.finish_prompt(now, false);
                    self.hang_up(now);
                }
                _ => {}
            },
            MediaInput::BargeIn => match self.stage {
                Stage::Prompt => {
                    self.finish_prompt(now, true);
                    self.start_collecting(now);
                }
                Stage::Goodbye => {
                    self.finish_prompt(now, true);
                    self.hang_up(now);
                }
                _ => {}
            },
        }
    }

    /// Fire whatever deadlines have passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ring_deadline.is_some_and(|d| now >= d) {
            self.ring_deadline = None;
            if self.stage == Stage::Dialing {
                self.cancelled_for_ring_timeout = true;
                self.actions.push_back(Action::Cancel);
                self.stage = Stage::TearingDown;
                self.teardown_deadline = Some(now + TEARDOWN_LIMIT);
            }
        }
        if self.max_deadline.is_some_and(|d| now >= d) {
            self.max_deadline = None;
            if matches!(
                self.stage,
                Stage::Prompt | Stage::Collecting | Stage::Goodbye | Stage::AwaitingAck
            ) {
                self.hang_up(now);
            }
        }
        if self.stage == Stage::Collecting {
            let done = self.collector.as_mut().and_then(|c| c.handle_timeout(now));
            if let Some(done) = done {
                self.finish_collecting(now, done);
            }
        }
        if self.teardown_deadline.is_some_and(|d| now >= d) && self.stage == Stage::TearingDown {
            let outcome = if self.record.answer_unix_ms.is_some() {
                Outcome::Answered
            } else {
                Outcome::NoAnswer
            };
            let by = self.record.hangup_by.unwrap_or(HangupBy::Bot);
            self.end(now, outcome, by);
        }
    }

    /// The engine is shutting down and the grace period is over: end the call politely.
    pub fn shutdown(&mut self, now: Instant) {
        match self.stage {
            Stage::Dialing => {
                self.actions.push_back(Action::Cancel);
                self.stage = Stage::TearingDown;
                self.teardown_deadline = Some(now + TEARDOWN_LIMIT);
            }
            Stage::AwaitingAck | Stage::Prompt | Stage::Collecting | Stage::Goodbye => {
                self.hang_up(now)
            }
            Stage::TearingDown | Stage::Ended => {}
        }
    }

    /// Next thing the server must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The earliest pending deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let collect = (self.stage == Stage::Collecting)
            .then(|| self.collector.as_ref()?.poll_timeout())
            .flatten();
        [
            self.ring_deadline,
            self.max_deadline,
            self.teardown_deadline,
            collect,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// True once the call is over and its record final.
    pub fn is_finished(&self) -> bool {
        self.stage == Stage::Ended
    }

    /// True while the call is answered and the script runs (media should flow).
    pub fn is_answered(&self) -> bool {
        self.record.answer_unix_ms.is_some() && self.stage != Stage::Ended
    }

    /// The record so far (final once [`Call::is_finished`]).
    pub fn record(&self) -> &CallRecord {
        &self.record
    }

    /// Mutable access for the server to attach media statistics.
    pub fn record_mut(&mut self) -> &mut CallRecord {
        &mut self.record
    }

    fn mark_answered(&mut self, now: Instant) {
        let at = self.clock.unix_ms_at(now);
        self.record.answer_unix_ms = Some(at);
        self.record.ring_ms = Some(self.elapsed_ms(now));
        self.record.sip_code = Some(200);
        self.record.sip_reason = Some("OK".into());
        self.max_deadline = Some(now + self.script.max_duration);
    }

    fn start_script(&mut self, now: Instant) {
        match self.script.prompt.clone() {
            Some(prompt) => {
                self.stage = Stage::Prompt;
                self.play(now, prompt);
            }
            None => self.start_collecting(now),
        }
    }

    fn play(&mut self, now: Instant, prompt: String) {
        self.record.prompts.push(PromptPlayed {
            prompt: prompt.clone(),
            start_ms: self.elapsed_ms(now),
            end_ms: None,
            cut: false,
        });
        self.actions.push_back(Action::Play(prompt));
    }

    fn finish_prompt(&mut self, now: Instant, cut: bool) {
        let end_ms = self.elapsed_ms(now);
        if let Some(last) = self
            .record
            .prompts
            .last_mut()
            .filter(|p| p.end_ms.is_none())
        {
            last.end_ms = Some(end_ms);
            last.cut = cut;
        }
    }

    fn prompt_playing(&self) -> bool {
        self.record
            .prompts
            .last()
            .is_some_and(|p| p.end_ms.is_none())
    }

    fn start_collecting(&mut self, now: Instant) {
        match self.script.collect.clone() {
            Some(spec) => {
                self.stage = Stage::Collecting;
                self.collector
                    .get_or_insert_with(|| DigitCollector::new(now, spec));
            }
            None => self.start_goodbye(now),
        }
    }

    fn on_digit(&mut self, now: Instant, digit: char) {
        match self.stage {
            Stage::Prompt if self.script.collect.is_some() && self.script.digit_stops_prompt => {
                self.actions.push_back(Action::StopPlayback);
                self.finish_prompt(now, true);
                self.start_collecting(now);
                self.on_digit(now, digit);
            }
            Stage::Collecting => {
                let done = self.collector.as_mut().and_then(|c| c.push(now, digit));
                if let Some(done) = done {
                    self.finish_collecting(now, done);
                }
            }
            _ => {}
        }
    }

    fn finish_collecting(&mut self, now: Instant, done: crate::DigitsDone) {
        if let Some(c) = &self.collector {
            self.record.digits = c.digits().to_owned();
        }
        self.record.digits_done = Some(done);
        self.start_goodbye(now);
    }

    fn start_goodbye(&mut self, now: Instant) {
        match self.script.goodbye.clone() {
            Some(prompt) => {
                self.stage = Stage::Goodbye;
                self.play(now, prompt);
            }
            None => self.hang_up(now),
        }
    }

    fn hang_up(&mut self, now: Instant) {
        if self.prompt_playing() {
            self.actions.push_back(Action::StopPlayback);
            self.finish_prompt(now, true);
        }
        self.actions.push_back(Action::Hangup);
        self.record.hangup_by = Some(HangupBy::Bot);
        self.record.outcome = Some(Outcome::Answered);
        self.stamp_hangup(now);
        self.stage = Stage::TearingDown;
        self.teardown_deadline = Some(now + TEARDOWN_LIMIT);
    }

    fn stamp_hangup(&mut self, now: Instant) {
        if self.record.hangup_unix_ms.is_some() {
            return;
        }
        let at = self.clock.unix_ms_at(now);
        self.record.hangup_unix_ms = Some(at);
        match self.record.answer_unix_ms {
            Some(answered) => self.record.talk_ms = Some(at.saturating_sub(answered)),
            None => self.record.ring_ms = Some(self.elapsed_ms(now)),
        }
    }

    fn end(&mut self, now: Instant, outcome: Outcome, by: HangupBy) {
        if self.stage == Stage::Ended {
            return;
        }
        if self.prompt_playing() {
            self.finish_prompt(now, true);
        }
        if let (Stage::Collecting, Some(c)) = (self.stage, &self.collector) {
            self.record.digits = c.digits().to_owned();
        }
        self.stamp_hangup(now);
        self.record.outcome.get_or_insert(outcome);
        self.record.hangup_by.get_or_insert(by);
        self.stage = Stage::Ended;
        self.ring_deadline = None;
        self.max_deadline = None;
        self.teardown_deadline = None;
    }

    fn elapsed_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_millis() as u64
    }
}
