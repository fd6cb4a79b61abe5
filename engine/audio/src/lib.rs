//! `voxgate-audio`: the per-call voice front end and the bot's audio out, as sans-IO building
//! blocks.
//!
//! Inbound, a [`front_end::VoiceFrontEnd`] takes the callee's decoded 10 ms frames, runs the
//! optional noise suppressor and the voice activity detector, and feeds the
//! [`endpointing::Endpointer`], which turns speech probabilities into speech-started, barge-in,
//! utterance-ended and no-input events. Outbound, a [`playback::PromptLibrary`] holds prompts
//! decoded once and pre-encoded per codec, a [`playback::Playback`] plays a sequence of them frame
//! by frame, a [`mixer::BackgroundMixer`] lays a looped background sound under the bot voice, and a
//! [`recorder::StereoWavRecorder`] writes callee (left) and bot (right) side by side.
//!
//! # Drive contract
//!
//! Nothing here reads a clock, opens a socket or spawns a thread; time is an argument.
//! The caller (the server's media loop) does, every 10 ms of callee audio:
//!
//! 1. `front_end.push_frame(now, &pcm)` with the frame's arrival time in virtual or real time;
//! 2. drain `front_end.poll_event()` until it returns `None`, acting on each event at once
//!    (a `BargeIn` stops the playing prompt before the next outbound frame is produced);
//! 3. around prompts, call `prompt_started(now, ..)`, `prompt_finished(now)` and
//!    `listen(now, ..)` so endpointing knows what the bot is doing.
//!
//! Timers (no-input, max-utterance) advance with the `now` of each pushed frame, so a call with
//! no inbound audio must still push silence frames (the RTP jitter buffer provides them).
//!
//! The per-frame path does not allocate: buffers are sized in constructors.

pub mod endpointing;
mod error;
pub mod resample;
pub mod vad;

pub use error::AudioError;
