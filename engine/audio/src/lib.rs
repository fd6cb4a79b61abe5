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
//! The caller (the server's media loop) does, per call:
//!
//! - **Inbound**, for each 10 ms (or 20 ms) of decoded callee audio:
//!   `front_end.push_frame(now, &pcm)`, then drain `front_end.poll_event()` until `None`,
//!   acting on each event at once: a `BargeIn` means `playback.stop(now)` before the next
//!   outbound frame; after an `UtteranceEnded`, `take_utterance_audio()` gives its segment.
//! - **Outbound**, every 20 ms tick: `playback.next_frame(now)`, `mixer.mix(..)` it over the
//!   background, send it, `recorder.write_frame(callee, sent)`, then drain
//!   `playback.poll_event()`: each `Started` becomes
//!   `front_end.prompt_started(now, &overrides)`, `SequenceFinished` or a `Cut` becomes
//!   `front_end.prompt_finished(now)` and, when the dialogue waits for an answer,
//!   `front_end.listen(now, &overrides)`.
//! - **Timers**: no-input advances with the `now` of each pushed frame; with no inbound audio
//!   at all, call `front_end.handle_timeout(now)` at `front_end.poll_timeout()`.
//! - **Records**: feed both event streams to a [`timeline::VoiceTimeline`].
//!
//! The per-frame path does not allocate: buffers are sized in constructors
//! (`tests/no_alloc.rs` checks it with a counting allocator).
//!
//! ```
//! use std::io::Cursor;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use voxgate_audio::endpointing::{EndpointingOverrides, VoiceEvent};
//! use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
//! use voxgate_audio::mixer::BackgroundMixer;
//! use voxgate_audio::playback::{Playback, PlaybackEvent, Prompt};
//! use voxgate_audio::recorder::StereoWavRecorder;
//! use voxgate_audio::vad::{VadError, VoiceActivityDetector};
//!
//! /// Stands in for `vad::SileroVad` (which needs the model file): loud chunks are speech.
//! struct Loudness;
//! impl VoiceActivityDetector for Loudness {
//!     fn sample_rate(&self) -> u32 { 8_000 }
//!     fn chunk_samples(&self) -> usize { 256 }
//!     fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
//!         Ok(if chunk.iter().any(|s| s.abs() > 0.1) { 1.0 } else { 0.0 })
//!     }
//!     fn reset(&mut self) {}
//! }
//!
//! let vad = Box::new(Loudness);
//! let mut front = VoiceFrontEnd::new(FrontEndConfig::default(), vad, None)?;
//! let hello = Arc::new(Prompt::from_pcm_8k("hello", &[800; 8_000]));
//! let mut playback = Playback::new();
//! let mut mixer = BackgroundMixer::silent();
//! let mut recorder = StereoWavRecorder::new(Cursor::new(Vec::new()), 8_000)?;
//! let (t0, mut sent) = (Instant::now(), [0i16; 160]);
//! playback.play(t0, [hello]);
//! for tick in 0..100u64 {
//!     let now = t0 + Duration::from_millis(20 * tick);
//!     let callee = [0i16; 160]; // decoded from RTP (silence here)
//!     front.push_frame(now, &callee)?;
//!     while let Some(event) = front.poll_event() {
//!         if let VoiceEvent::BargeIn { .. } = event {
//!             playback.stop(now);
//!         }
//!     }
//!     let frame = playback.next_frame(now);
//!     mixer.mix(frame.map(|f| f.pcm()), &mut sent);
//!     recorder.write_frame(&callee, &sent)?;
//!     while let Some(event) = playback.poll_event() {
//!         match event {
//!             PlaybackEvent::Started { .. } => front.prompt_started(now, &EndpointingOverrides::NONE),
//!             PlaybackEvent::SequenceFinished { .. } | PlaybackEvent::Cut { .. } => {
//!                 front.prompt_finished(now);
//!                 front.listen(now, &EndpointingOverrides::NONE);
//!             }
//!             _ => {}
//!         }
//!     }
//! }
//! let wav = recorder.finish()?.into_inner();
//! assert_eq!(wav.len(), 44 + 100 * 160 * 4);
//! # Ok::<(), voxgate_audio::AudioError>(())
//! ```

pub mod denoise;
pub mod endpointing;
mod error;
pub mod front_end;
pub mod mixer;
pub mod playback;
pub mod recorder;
pub mod resample;
pub mod sit;
pub mod timeline;
pub mod vad;

pub use error::AudioError;
