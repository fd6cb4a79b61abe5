//! The per-call state machine: signalling progress, the dialogue's actions carried out, the
//! record kept.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use voxgate_audio::endpointing::EndpointingOverrides;

use crate::dialogue::{BotAction, BotEvent, PromptPart, Transcript, TransferTarget};
use crate::digits::{DigitCollection, DigitCollector, DigitsDone};
use crate::outcome::{HangupBy, Outcome};
use crate::record::{
    CallRecord, DialogueFault, Direction, DtmfEntry, DtmfSource, EarlyMedia, PromptPlayed, Round,
    RoundInput, TransferAttempt, WallClock,
};
use crate::script::Script;

/// How long we wait for our BYE or CANCEL to complete before declaring the call ended anyway.
/// The SIP layer always reports completion (Timer F is 32 s); this only guards the record.
const TEARDOWN_LIMIT: Duration = Duration::from_secs(40);

/// Who runs the call's dialogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialogue {
    /// A fixed script, run inside the call.
    Script(Script),
    /// A dialogue plugin run by the server: the call emits [`Action::Dialogue`] events and the
    /// server feeds the plugin's answers back through [`Call::handle_bot_actions`].
    Plugin,
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
    /// Hang up after this long answered, whatever the dialogue is doing.
    pub max_duration: Duration,
    /// Played before hanging up when the dialogue plugin fails (a polite goodbye).
    pub fallback_prompt: Option<String>,
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

/// Media facts from the server's media loop (and the recogniser).
#[derive(Clone, Debug, PartialEq)]
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
    /// Nothing was said within the no-input time after listening started.
    NoInput,
    /// Early media before the answer said what became of the attempt (a SIT tone, a carrier
    /// announcement). Kept on the record; ignored once the call is answered.
    EarlyMedia {
        /// The campaign result it means (`empty_number`, `line_fault`, ...).
        result: String,
        /// What was heard.
        evidence: String,
    },
}

/// What the server must do for the call.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Inbound: send 180 Ringing.
    Ring,
    /// Inbound: answer (200 OK with our SDP) and start media.
    Answer,
    /// Outbound: send CANCEL (ring time-out or shutdown).
    Cancel,
    /// Play prompt parts in order, replacing whatever plays.
    Play {
        /// The parts.
        parts: Vec<PromptPart>,
        /// Speech may interrupt them; `None` keeps the route's setting.
        barge_in: Option<bool>,
    },
    /// Stop the current prompt; silence follows.
    StopPlayback,
    /// Listen with these endpointing changes.
    Listen(EndpointingOverrides),
    /// Deliver this event to the dialogue plugin (in order) and feed its actions back.
    Dialogue(BotEvent),
    /// Transfer the call; report the result with [`Call::transfer_result`].
    Transfer(TransferTarget),
    /// End an answered call (BYE) or refuse an unanswered inbound call.
    Hangup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Inbound, answered but not yet acknowledged.
    AwaitingAck,
    /// Outbound, INVITE sent.
    Dialing,
    /// Answered: the dialogue runs.
    Talking,
    /// Playing the final prompt before hanging up.
    Closing,
    /// We hung up or cancelled; waiting for the SIP layer to finish.
    TearingDown,
    /// Finished: the record is final (the dialogue may still add tags, score and level).
    Ended,
}

/// One call: signalling progress, the dialogue's actions, and the record.
#[derive(Debug)]
pub struct Call {
    dialogue: Dialogue,
    clock: WallClock,
    started: Instant,
    stage: Stage,
    max_duration: Duration,
    fallback_prompt: Option<String>,
    ring_deadline: Option<Instant>,
    max_deadline: Option<Instant>,
    teardown_deadline: Option<Instant>,
    /// A collection waiting for the current prompt to end before its time-out starts.
    pending_collect: Option<DigitCollection>,
    collector: Option<DigitCollector>,
    timers: Vec<(String, Instant)>,
    /// A plugin fault sent the call to the fallback: further plugin actions are ignored.
    faulted: bool,
    cancelled_for_ring_timeout: bool,
    record: CallRecord,
    actions: VecDeque<Action>,
}

impl Call {
    /// An inbound call that we answer at once: emits [`Action::Ring`] then [`Action::Answer`].
    pub fn inbound(now: Instant, clock: WallClock, setup: CallSetup, dialogue: Dialogue) -> Self {
        let mut call = Self::new(now, clock, setup, dialogue, Stage::AwaitingAck);
        call.record.ring_unix_ms = Some(clock.unix_ms_at(now));
        call.actions.extend([Action::Ring, Action::Answer]);
        call.mark_answered(now);
        call
    }

    /// An outbound call whose INVITE the server has just sent.
    pub fn outbound(now: Instant, clock: WallClock, setup: CallSetup, dialogue: Dialogue) -> Self {
        let ring_deadline = setup.ring_timeout.map(|t| now + t);
        let mut call = Self::new(now, clock, setup, dialogue, Stage::Dialing);
        call.ring_deadline = ring_deadline;
        call
    }

    fn new(
        now: Instant,
        clock: WallClock,
        setup: CallSetup,
        dialogue: Dialogue,
        stage: Stage,
    ) -> Self {
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
            dialogue: None,
            rounds: Vec::new(),
            tags: Vec::new(),
            score: 0,
            level: None,
            variables: Default::default(),
            transfers: Vec::new(),
            faults: Vec::new(),
            early_media: None,
        };
        let mut call = Self {
            dialogue,
            clock,
            started: now,
            stage,
            max_duration: setup.max_duration,
            fallback_prompt: setup.fallback_prompt,
            ring_deadline: None,
            max_deadline: None,
            teardown_deadline: None,
            pending_collect: None,
            collector: None,
            timers: Vec::new(),
            faulted: false,
            cancelled_for_ring_timeout: false,
            record,
            actions: VecDeque::new(),
        };
        call.dispatch(now, BotEvent::Started);
        call
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
                    self.stage = Stage::Talking;
                    self.dispatch(now, BotEvent::Answered);
                }
            }
            Signal::Confirmed => {
                if self.stage == Stage::AwaitingAck {
                    self.stage = Stage::Talking;
                    self.dispatch(now, BotEvent::Answered);
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
        if !matches!(self.stage, Stage::Talking | Stage::Closing) {
            match input {
                MediaInput::Dtmf {
                    digit,
                    source,
                    duration_ms,
                } if self.stage != Stage::Ended => self.log_digit(now, digit, source, duration_ms),
                MediaInput::EarlyMedia { result, evidence }
                    if self.record.early_media.is_none()
                        && self.record.answer_unix_ms.is_none() =>
                {
                    // Also after the end: a carrier announcement may be recognised only after
                    // the final response arrived (the record is written when the media closed).
                    self.record.early_media = Some(EarlyMedia { result, evidence });
                }
                _ => {}
            }
            return;
        }
        match input {
            MediaInput::Dtmf {
                digit,
                source,
                duration_ms,
            } => {
                self.log_digit(now, digit, source, duration_ms);
                self.on_digit(now, digit);
            }
            MediaInput::PlaybackFinished => self.playback_ended(now, false),
            MediaInput::BargeIn => self.playback_ended(now, true),
            MediaInput::SpeechStarted => {
                if self.stage == Stage::Talking {
                    self.dispatch(now, BotEvent::SpeechStarted);
                }
            }
            MediaInput::Utterance {
                transcript,
                duration_ms,
                barged_in,
            } => {
                if self.stage == Stage::Talking {
                    self.open_round(
                        now,
                        RoundInput::Utterance {
                            text: transcript.text().map(str::to_owned),
                            duration_ms,
                            barged_in,
                        },
                    );
                    self.dispatch(
                        now,
                        BotEvent::Utterance {
                            transcript,
                            duration_ms,
                            barged_in,
                        },
                    );
                }
            }
            MediaInput::NoInput => {
                let collecting = self.collector.is_some() || self.pending_collect.is_some();
                if self.stage == Stage::Talking && !collecting {
                    self.open_round(now, RoundInput::NoInput);
                    self.dispatch(now, BotEvent::NoInput);
                }
            }
            // Tones after the answer are not early media.
            MediaInput::EarlyMedia { .. } => {}
        }
    }

    /// The dialogue plugin answered an event with these actions (in order).
    pub fn handle_bot_actions(&mut self, now: Instant, actions: Vec<BotAction>) {
        if self.faulted {
            return;
        }
        self.apply(now, actions);
    }

    /// The dialogue plugin failed (trap, budget, bad action): record the fault, play the
    /// fallback prompt and hang up. Later plugin actions are ignored.
    pub fn handle_dialogue_fault(&mut self, now: Instant, kind: String, detail: String) {
        self.record.faults.push(DialogueFault {
            at_ms: self.elapsed_ms(now),
            kind,
            detail,
        });
        if self.faulted {
            return;
        }
        self.faulted = true;
        self.timers.clear();
        self.pending_collect = None;
        self.collector = None;
        match self.stage {
            Stage::Dialing => self.cancel(now),
            Stage::AwaitingAck => self.hang_up(now),
            Stage::Talking => {
                let final_prompt = self.fallback_prompt.iter().cloned().map(PromptPart::File);
                self.close_with(now, final_prompt.collect());
            }
            Stage::Closing | Stage::TearingDown | Stage::Ended => {}
        }
    }

    /// The server's report on a transfer the dialogue asked for.
    pub fn transfer_result(
        &mut self,
        now: Instant,
        target: String,
        connected: bool,
        detail: String,
    ) {
        if let Some(attempt) = self.record.transfers.last_mut() {
            attempt.connected = Some(connected);
            attempt.detail = Some(detail.clone());
        }
        if self.stage == Stage::Talking {
            self.dispatch(
                now,
                BotEvent::TransferResult {
                    target,
                    connected,
                    detail,
                },
            );
        }
    }

    /// Fire whatever deadlines have passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ring_deadline.is_some_and(|d| now >= d) {
            self.ring_deadline = None;
            if self.stage == Stage::Dialing {
                self.cancelled_for_ring_timeout = true;
                self.cancel(now);
            }
        }
        if self.max_deadline.is_some_and(|d| now >= d) {
            self.max_deadline = None;
            if matches!(
                self.stage,
                Stage::Talking | Stage::Closing | Stage::AwaitingAck
            ) {
                self.hang_up(now);
            }
        }
        if self.stage == Stage::Talking {
            let done = self.collector.as_mut().and_then(|c| c.handle_timeout(now));
            if let Some(done) = done {
                self.finish_collecting(now, done);
            }
            while let Some(i) = self.timers.iter().position(|(_, at)| *at <= now) {
                let (id, _) = self.timers.remove(i);
                self.dispatch(now, BotEvent::TimerFired(id));
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
            Stage::Dialing => self.cancel(now),
            Stage::AwaitingAck | Stage::Talking | Stage::Closing => self.hang_up(now),
            Stage::TearingDown | Stage::Ended => {}
        }
    }

    /// Next thing the server must do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The earliest pending deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let talking = self.stage == Stage::Talking;
        let collect = talking
            .then(|| self.collector.as_ref()?.poll_timeout())
            .flatten();
        let timer = talking
            .then(|| self.timers.iter().map(|(_, at)| *at).min())
            .flatten();
        [
            self.ring_deadline,
            self.max_deadline,
            self.teardown_deadline,
            collect,
            timer,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// True once the call is over and its record final.
    pub fn is_finished(&self) -> bool {
        self.stage == Stage::Ended
    }

    /// True while the call is answered and the dialogue runs (media should flow).
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

    /// Hand an event to the dialogue: the script answers at once; a plugin through the server.
    fn dispatch(&mut self, now: Instant, event: BotEvent) {
        match &self.dialogue {
            Dialogue::Script(script) => {
                let actions = script.on_event(&event);
                self.apply(now, actions);
            }
            Dialogue::Plugin if !self.faulted => self.actions.push_back(Action::Dialogue(event)),
            Dialogue::Plugin => {}
        }
    }

    fn apply(&mut self, now: Instant, actions: Vec<BotAction>) {
        for action in actions {
            // Once the call ends, only what the record keeps still counts.
            let talking = self.stage == Stage::Talking;
            match action {
                BotAction::Tag(tag) => {
                    if !self.record.tags.contains(&tag) {
                        self.record.tags.push(tag);
                    }
                }
                BotAction::AddScore(points) => {
                    self.record.score = self.record.score.saturating_add(points)
                }
                BotAction::SetLevel(level) => self.record.level = Some(level),
                BotAction::SetVariable { name, value } => {
                    self.record.variables.insert(name, value);
                }
                BotAction::NoteRound(note) => {
                    if let Some(round) = self.record.rounds.last_mut() {
                        round.note = Some(note);
                    }
                }
                _ if !talking => {}
                BotAction::Play { parts, barge_in } => self.play(now, parts, barge_in),
                BotAction::StopPlayback => self.stop_playback(now),
                BotAction::Listen(overrides) => self.actions.push_back(Action::Listen(overrides)),
                BotAction::CollectDigits(spec) => {
                    self.collector = None;
                    if self.prompt_playing() {
                        self.pending_collect = Some(spec);
                    } else {
                        self.pending_collect = None;
                        self.collector = Some(DigitCollector::new(now, spec));
                    }
                }
                BotAction::Transfer(target) => {
                    self.record.transfers.push(TransferAttempt {
                        target: target.clone(),
                        at_ms: self.elapsed_ms(now),
                        connected: None,
                        detail: None,
                    });
                    self.actions.push_back(Action::Transfer(target));
                }
                BotAction::HangUp { final_prompt } => self.close_with(now, final_prompt),
                BotAction::StartTimer { id, after } => {
                    self.timers.retain(|(t, _)| *t != id);
                    self.timers.push((id, now + after));
                }
                BotAction::CancelTimer(id) => self.timers.retain(|(t, _)| *t != id),
            }
        }
    }

    fn mark_answered(&mut self, now: Instant) {
        let at = self.clock.unix_ms_at(now);
        self.record.answer_unix_ms = Some(at);
        self.record.ring_ms = Some(self.elapsed_ms(now));
        self.record.sip_code = Some(200);
        self.record.sip_reason = Some("OK".into());
        self.max_deadline = Some(now + self.max_duration);
    }

    fn play(&mut self, now: Instant, parts: Vec<PromptPart>, barge_in: Option<bool>) {
        if self.prompt_playing() {
            self.finish_prompt(now, true);
        }
        let label = parts
            .iter()
            .map(PromptPart::label)
            .collect::<Vec<_>>()
            .join(" + ");
        let start_ms = self.elapsed_ms(now);
        if let Some(round) = self.record.rounds.last_mut()
            && round.reply.is_empty()
        {
            round.reply = parts.iter().map(|p| p.label().to_owned()).collect();
            round.reply_ms = Some(start_ms);
        }
        self.record.prompts.push(PromptPlayed {
            prompt: label,
            start_ms,
            end_ms: None,
            cut: false,
        });
        self.actions.push_back(Action::Play { parts, barge_in });
    }

    fn stop_playback(&mut self, now: Instant) {
        if self.prompt_playing() {
            self.actions.push_back(Action::StopPlayback);
            self.finish_prompt(now, true);
            self.arm_collection(now);
        }
    }

    fn playback_ended(&mut self, now: Instant, cut: bool) {
        if !self.prompt_playing() {
            return;
        }
        self.finish_prompt(now, cut);
        if self.stage == Stage::Closing {
            return self.hang_up(now);
        }
        self.arm_collection(now);
        self.dispatch(now, BotEvent::PlaybackFinished { cut });
    }

    /// Start the time-out of a collection that waited for the prompt to end.
    fn arm_collection(&mut self, now: Instant) {
        if let Some(spec) = self.pending_collect.take() {
            self.collector = Some(DigitCollector::new(now, spec));
        }
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

    fn log_digit(
        &mut self,
        now: Instant,
        digit: char,
        source: DtmfSource,
        duration_ms: Option<u32>,
    ) {
        self.record.dtmf.push(DtmfEntry {
            digit,
            at_ms: self.elapsed_ms(now),
            source,
            duration_ms,
        });
    }

    fn on_digit(&mut self, now: Instant, digit: char) {
        if self.stage != Stage::Talking {
            return;
        }
        // A digit during the prompt of a pending collection stops the prompt and counts.
        if self.pending_collect.is_some() {
            self.stop_playback(now);
            self.arm_collection(now);
        }
        let Some(collector) = self.collector.as_mut() else {
            self.open_round(
                now,
                RoundInput::Digits {
                    digits: digit.to_string(),
                },
            );
            return self.dispatch(now, BotEvent::Dtmf(digit));
        };
        let done = collector.push(now, digit);
        self.dispatch(now, BotEvent::Dtmf(digit));
        if let Some(done) = done {
            self.finish_collecting(now, done);
        }
    }

    fn finish_collecting(&mut self, now: Instant, done: DigitsDone) {
        let Some(collector) = self.collector.take() else {
            return;
        };
        let digits = collector.digits().to_owned();
        self.record.digits = digits.clone();
        self.record.digits_done = Some(done);
        self.open_round(
            now,
            RoundInput::Digits {
                digits: digits.clone(),
            },
        );
        self.dispatch(now, BotEvent::DigitsCollected { digits, done });
    }

    fn open_round(&mut self, now: Instant, input: RoundInput) {
        let index = self.record.rounds.len() as u32 + 1;
        self.record.rounds.push(Round {
            index,
            at_ms: self.elapsed_ms(now),
            input,
            note: None,
            reply: Vec::new(),
            reply_ms: None,
        });
    }

    /// Play `final_prompt` (if any), then hang up.
    fn close_with(&mut self, now: Instant, final_prompt: Vec<PromptPart>) {
        self.pending_collect = None;
        self.collector = None;
        self.timers.clear();
        if final_prompt.is_empty() {
            return self.hang_up(now);
        }
        self.play(now, final_prompt, Some(false));
        self.stage = Stage::Closing;
    }

    fn cancel(&mut self, now: Instant) {
        self.actions.push_back(Action::Cancel);
        self.stage = Stage::TearingDown;
        self.teardown_deadline = Some(now + TEARDOWN_LIMIT);
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
        if let Some(c) = self.collector.take() {
            self.record.digits = c.digits().to_owned();
        }
        self.stamp_hangup(now);
        self.record.outcome.get_or_insert(outcome);
        let by = *self.record.hangup_by.get_or_insert(by);
        self.stage = Stage::Ended;
        self.ring_deadline = None;
        self.max_deadline = None;
        self.teardown_deadline = None;
        self.timers.clear();
        self.pending_collect = None;
        let reason = match (&self.record.sip_reason, self.record.outcome) {
            (_, Some(Outcome::Answered)) | (None, _) => format!("{by:?} hung up").to_lowercase(),
            (Some(reason), _) => reason.clone(),
        };
        self.dispatch(now, BotEvent::Hangup { by, reason });
    }

    fn elapsed_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.started).as_millis() as u64
    }
}
