//! Endpointing: turns one speech probability per 10 ms frame into voice events (speech started,
//! barge-in, utterance ended, no input), in virtual time.
//!
//! Rules, all measured in frames of audio (10 ms each), never by reading a clock:
//! - **Onset.** A frame is voiced when its probability is at least `start_threshold`. Speech
//!   counts only after `min_speech_ms` of consecutive voiced frames; one unvoiced frame during the
//!   onset discards it, so clicks, door slams and passing trucks never count.
//! - **Continuation.** Once speech counts, frames stay voiced down to `continue_threshold`
//!   (hysteresis); `end_silence_ms` of consecutive unvoiced frames end the utterance, and
//!   `max_utterance_ms` from its start ends it forcibly.
//! - **Barge-in.** While a prompt plays with barge-in on, the frame on which speech starts to
//!   count emits [`VoiceEvent::BargeIn`]; the caller stops playback before its next outbound
//!   frame. The endpointer then considers the prompt stopped.
//! - **Barge-in off.** Speech over the prompt is still detected and `SpeechStarted` is emitted at
//!   once (marked `over_prompt`), but every utterance that ends while such a prompt plays is held
//!   and reported, in order, when the prompt finishes (or a later barge-in piece of the same
//!   sequence is interrupted). Holding keeps
//!   the dialogue from answering something the callee said while the bot was still talking,
//!   and reporting afterwards loses nothing.
//! - **No input.** [`Endpointer::listen`] arms a `no_input_ms` deadline; confirmed speech disarms
//!   it. It fires only between utterances: an onset in progress delays it by at most
//!   `min_speech_ms`, so a callee who starts to talk right at the deadline is not re-prompted.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

mod config;

pub use config::{EndpointingConfig, EndpointingOverrides};

/// The duration of one analysis frame.
pub const FRAME: Duration = Duration::from_millis(FRAME_MS as u64);
/// The duration of one analysis frame in milliseconds.
pub const FRAME_MS: u32 = 10;

/// Why an utterance ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UtteranceEnd {
    /// `end_silence_ms` of silence followed the speech.
    Silence,
    /// The utterance reached `max_utterance_ms` and was cut.
    MaxDuration,
}

/// One finished utterance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utterance {
    /// Time of the first frame of speech (the start of the onset).
    pub start: Instant,
    /// End of the last voiced frame (for a forced end: end of the frame that hit the limit).
    pub end: Instant,
    /// The frames it spans, counted from the endpointer's first frame; `end` exclusive.
    pub frames: Range<u64>,
    /// The callee interrupted a prompt with it.
    pub barged_in: bool,
    /// It started while a prompt was playing (with or without barge-in).
    pub over_prompt: bool,
    /// What ended it.
    pub ended_by: UtteranceEnd,
}

/// What the endpointer reports to the dialogue and the media loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoiceEvent {
    /// Speech started to count (`min_speech_ms` of it were heard).
    SpeechStarted {
        /// Time of the first frame of the speech.
        start: Instant,
        /// Time of the frame on which it started to count.
        at: Instant,
        /// A prompt was playing.
        over_prompt: bool,
    },
    /// The callee talks over a barge-in prompt: stop playback now.
    BargeIn {
        /// Time of the frame on which the barge-in was decided.
        at: Instant,
        /// Time of the first frame of the speech.
        speech_start: Instant,
    },
    /// An utterance ended.
    UtteranceEnded(Utterance),
    /// Nothing was said within `no_input_ms` of [`Endpointer::listen`].
    NoInput {
        /// Time the deadline was noticed.
        at: Instant,
        /// Time listening started.
        since: Instant,
    },
}

/// A boundary of an utterance in the audio stream, reported when it happens (even if the
/// event is held), so the owner of the audio can cut the segment out at the right frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentEdge {
    /// Speech started to count; it began at `first_frame`.
    Started {
        /// Index of the first frame of the speech.
        first_frame: u64,
    },
    /// The utterance ended; it spans `frames`.
    Ended {
        /// The utterance's frames, `end` exclusive.
        frames: Range<u64>,
    },
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    Quiet,
    Onset {
        start: Instant,
        first_frame: u64,
        frames: u32,
    },
    Speaking(Speech),
}

#[derive(Clone, Copy, Debug)]
struct Speech {
    start: Instant,
    first_frame: u64,
    voiced_end: Instant,
    voiced_end_frame: u64,
    silent_frames: u32,
    barged_in: bool,
    over_prompt: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PromptState {
    Idle,
    Playing { barge_in: bool },
}

/// How many held utterances fit before the hold queue has to grow.
const HELD_CAPACITY: usize = 8;
/// Room for the events of one frame plus released held utterances.
const EVENT_CAPACITY: usize = 16;

/// The endpointing state machine of one call. See the module docs for the rules.
#[derive(Debug)]
pub struct Endpointer {
    base: EndpointingConfig,
    active: EndpointingConfig,
    next_frame: u64,
    phase: Phase,
    prompt: PromptState,
    listening_since: Option<Instant>,
    no_input_deadline: Option<Instant>,
    held: VecDeque<Utterance>,
    events: VecDeque<VoiceEvent>,
}

impl Endpointer {
    /// An endpointer with the campaign's settings; nothing plays and nobody listens yet.
    pub fn new(base: EndpointingConfig) -> Self {
        Self {
            base,
            active: base,
            next_frame: 0,
            phase: Phase::Quiet,
            prompt: PromptState::Idle,
            listening_since: None,
            no_input_deadline: None,
            held: VecDeque::with_capacity(HELD_CAPACITY),
            events: VecDeque::with_capacity(EVENT_CAPACITY),
        }
    }

    /// The settings in force now (the base with the latest prompt or listen overrides).
    pub fn active_config(&self) -> &EndpointingConfig {
        &self.active
    }

    /// Index of the next frame to be pushed (the number of frames seen so far).
    pub fn frames_seen(&self) -> u64 {
        self.next_frame
    }

    /// Whether speech currently counts (between `SpeechStarted` and the utterance's end).
    pub fn in_speech(&self) -> bool {
        matches!(self.phase, Phase::Speaking(_))
    }

    /// A prompt starts playing with these overrides (barge-in on/off comes from them or the
    /// base). Disarms no-input. Called again while a prompt plays (the next piece of a
    /// sequence), it only changes the settings: utterances held so far stay held until
    /// [`Endpointer::prompt_finished`] or a barge-in.
    pub fn prompt_started(&mut self, _now: Instant, overrides: &EndpointingOverrides) {
        self.active = overrides.apply(&self.base);
        self.prompt = PromptState::Playing {
            barge_in: self.active.barge_in,
        };
        self.listening_since = None;
        self.no_input_deadline = None;
    }

    /// The prompt finished or was stopped: utterances held during it are reported now.
    /// Harmless when no prompt plays (e.g. after a barge-in already stopped it).
    pub fn prompt_finished(&mut self, _now: Instant) {
        self.prompt = PromptState::Idle;
        self.release_held();
    }

    /// Start waiting for the callee with these overrides: arms the no-input deadline unless
    /// speech is already under way.
    pub fn listen(&mut self, now: Instant, overrides: &EndpointingOverrides) {
        self.active = overrides.apply(&self.base);
        self.listening_since = Some(now);
        self.no_input_deadline = if self.in_speech() {
            None
        } else {
            now.checked_add(ms(self.active.no_input_ms))
        };
    }

    /// Stop waiting: disarms the no-input deadline.
    pub fn stop_listening(&mut self) {
        self.listening_since = None;
        self.no_input_deadline = None;
    }

    /// The next instant at which [`Endpointer::handle_timeout`] has something to do, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.no_input_deadline
    }

    /// Fire the no-input deadline if it has passed (for when no frames arrive).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.check_no_input(now);
    }

    /// Feed one 10 ms frame taken at `now` with its speech probability (0..1). Returns the
    /// utterance boundary this frame produced, if any; events go to [`Endpointer::poll_event`].
    pub fn push_frame(&mut self, now: Instant, probability: f32) -> Option<SegmentEdge> {
        let index = self.next_frame;
        self.next_frame += 1;
        let frame_end = now.checked_add(FRAME).unwrap_or(now);
        let cfg = self.active;
        let edge = match self.phase {
            Phase::Quiet if probability >= cfg.start_threshold => {
                self.onset_frame(now, index, now, index, 1)
            }
            Phase::Quiet => None,
            Phase::Onset {
                start,
                first_frame,
                frames,
            } if probability >= cfg.start_threshold => {
                self.onset_frame(now, index, start, first_frame, frames + 1)
            }
            Phase::Onset { .. } => {
                self.phase = Phase::Quiet;
                None
            }
            Phase::Speaking(mut speech) => {
                if probability >= cfg.continue_threshold {
                    speech.silent_frames = 0;
                    speech.voiced_end = frame_end;
                    speech.voiced_end_frame = index + 1;
                    self.barge_in_if_prompt(now, &mut speech);
                } else {
                    speech.silent_frames += 1;
                }
                let length_ms = (index + 1 - speech.first_frame) * u64::from(FRAME_MS);
                if speech.silent_frames > 0
                    && speech.silent_frames.saturating_mul(FRAME_MS) >= cfg.end_silence_ms
                {
                    Some(self.end_utterance(speech, UtteranceEnd::Silence))
                } else if length_ms >= u64::from(cfg.max_utterance_ms) {
                    speech.voiced_end = frame_end;
                    speech.voiced_end_frame = index + 1;
                    Some(self.end_utterance(speech, UtteranceEnd::MaxDuration))
                } else {
                    self.phase = Phase::Speaking(speech);
                    None
                }
            }
        };
        self.check_no_input(now);
        edge
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<VoiceEvent> {
        self.events.pop_front()
    }

    fn onset_frame(
        &mut self,
        now: Instant,
        index: u64,
        start: Instant,
        first_frame: u64,
        frames: u32,
    ) -> Option<SegmentEdge> {
        let needed = self.active.min_speech_ms.div_ceil(FRAME_MS).max(1);
        if frames < needed {
            self.phase = Phase::Onset {
                start,
                first_frame,
                frames,
            };
            return None;
        }
        let over_prompt = matches!(self.prompt, PromptState::Playing { .. });
        let mut speech = Speech {
            start,
            first_frame,
            voiced_end: now.checked_add(FRAME).unwrap_or(now),
            voiced_end_frame: index + 1,
            silent_frames: 0,
            barged_in: false,
            over_prompt,
        };
        self.no_input_deadline = None;
        if self.prompt == (PromptState::Playing { barge_in: true }) {
            // Utterances held by an earlier no-barge-in piece come before this speech.
            self.release_held();
        }
        self.events.push_back(VoiceEvent::SpeechStarted {
            start,
            at: now,
            over_prompt,
        });
        self.barge_in_if_prompt(now, &mut speech);
        self.phase = Phase::Speaking(speech);
        Some(SegmentEdge::Started { first_frame })
    }

    /// Voiced, counting speech while a barge-in prompt plays: interrupt it.
    fn barge_in_if_prompt(&mut self, now: Instant, speech: &mut Speech) {
        if self.prompt == (PromptState::Playing { barge_in: true }) {
            self.prompt = PromptState::Idle;
            self.release_held();
            speech.barged_in = true;
            speech.over_prompt = true;
            self.events.push_back(VoiceEvent::BargeIn {
                at: now,
                speech_start: speech.start,
            });
        }
    }

    fn end_utterance(&mut self, speech: Speech, ended_by: UtteranceEnd) -> SegmentEdge {
        self.phase = Phase::Quiet;
        let frames = speech.first_frame..speech.voiced_end_frame;
        let utterance = Utterance {
            start: speech.start,
            end: speech.voiced_end,
            frames: frames.clone(),
            barged_in: speech.barged_in,
            over_prompt: speech.over_prompt,
            ended_by,
        };
        if self.prompt == (PromptState::Playing { barge_in: false }) {
            self.held.push_back(utterance);
        } else {
            self.events.push_back(VoiceEvent::UtteranceEnded(utterance));
        }
        SegmentEdge::Ended { frames }
    }

    fn release_held(&mut self) {
        while let Some(utterance) = self.held.pop_front() {
            self.events.push_back(VoiceEvent::UtteranceEnded(utterance));
        }
    }

    fn check_no_input(&mut self, now: Instant) {
        let (Some(deadline), Some(since)) = (self.no_input_deadline, self.listening_since) else {
            return;
        };
        if now >= deadline && matches!(self.phase, Phase::Quiet) {
            self.no_input_deadline = None;
            self.events
                .push_back(VoiceEvent::NoInput { at: now, since });
        }
    }
}

fn ms(value: u32) -> Duration {
    Duration::from_millis(u64::from(value))
}
