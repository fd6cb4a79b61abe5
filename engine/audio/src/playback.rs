//! Prompt playback for one call: a sequence of prompt pieces played one 20 ms frame per tick,
//! stoppable at any frame, reporting when each piece starts, ends or is cut.
//!
//! Prompts themselves ([`Prompt`], [`PromptLibrary`]) are decoded once and shared by all
//! calls; a [`Playback`] only holds `Arc`s and positions, so taking a frame never allocates.
//!
//! Timing: the `now` given to [`Playback::next_frame`] is the send time of the frame it returns.
//! A piece starts at the `now` of its first frame and ends at the `now` of the tick after its
//! last frame (the tick that finds nothing more to play of it).

mod prompt;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use voxgate_codecs::Codec;

pub(crate) use prompt::f32_to_i16;
pub use prompt::{PROMPT_FRAME_SAMPLES, PROMPT_RATE, Prompt, PromptLibrary};

/// What happened to the prompt pieces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlaybackEvent {
    /// A piece's first frame went out.
    Started {
        /// The piece.
        prompt: Arc<str>,
        /// Send time of its first frame.
        at: Instant,
    },
    /// A piece played to its end.
    Finished {
        /// The piece.
        prompt: Arc<str>,
        /// When it started.
        started: Instant,
        /// The end of its last frame.
        at: Instant,
    },
    /// A piece was stopped part way ([`Playback::stop`] or a replacing [`Playback::play`]).
    Cut {
        /// The piece.
        prompt: Arc<str>,
        /// When it started.
        started: Instant,
        /// When it was stopped.
        at: Instant,
        /// Frames of it that went out.
        frames_played: usize,
    },
    /// The last queued piece finished; silence (or the background sound) follows.
    SequenceFinished {
        /// The end of the last frame.
        at: Instant,
    },
}

/// One outbound frame of a prompt.
#[derive(Clone, Copy, Debug)]
pub struct PlaybackFrame<'a> {
    prompt: &'a Prompt,
    index: usize,
}

impl<'a> PlaybackFrame<'a> {
    /// The prompt this frame belongs to.
    pub fn prompt(&self) -> &'a Prompt {
        self.prompt
    }

    /// The frame's index within its prompt.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The frame's 8 kHz samples ([`PROMPT_FRAME_SAMPLES`] of them).
    pub fn pcm(&self) -> &'a [i16] {
        self.prompt.pcm_frame(self.index).unwrap_or(&[])
    }

    /// The frame pre-encoded for `codec`, if the prompt caches that codec.
    pub fn encoded(&self, codec: Codec) -> Option<&'a [u8]> {
        self.prompt.encoded_frame(codec, self.index)
    }
}

#[derive(Debug)]
struct Playing {
    prompt: Arc<Prompt>,
    next_frame: usize,
    started: Instant,
}

/// Room for queued pieces and events before the queues would have to grow.
const QUEUE_CAPACITY: usize = 16;

/// The prompt player of one call.
#[derive(Debug)]
pub struct Playback {
    queue: VecDeque<Arc<Prompt>>,
    current: Option<Playing>,
    events: VecDeque<PlaybackEvent>,
}

impl Default for Playback {
    fn default() -> Self {
        Self::new()
    }
}

impl Playback {
    /// A player with nothing to play.
    pub fn new() -> Self {
        Self {
            queue: VecDeque::with_capacity(QUEUE_CAPACITY),
            current: None,
            events: VecDeque::with_capacity(QUEUE_CAPACITY),
        }
    }

    /// Plays these pieces in order, replacing (cutting) whatever plays or waits.
    pub fn play(&mut self, now: Instant, pieces: impl IntoIterator<Item = Arc<Prompt>>) {
        self.stop(now);
        self.queue.extend(pieces);
    }

    /// Appends a piece after those already queued.
    pub fn enqueue(&mut self, prompt: Arc<Prompt>) {
        self.queue.push_back(prompt);
    }

    /// Stops at once: the playing piece is cut (reported), queued pieces are dropped.
    /// Returns whether a piece was playing.
    pub fn stop(&mut self, now: Instant) -> bool {
        self.queue.clear();
        let Some(playing) = self.current.take() else {
            return false;
        };
        self.events.push_back(PlaybackEvent::Cut {
            prompt: Arc::clone(playing.prompt.name()),
            started: playing.started,
            at: now,
            frames_played: playing.next_frame,
        });
        true
    }

    /// Whether a piece is playing or waiting.
    pub fn is_active(&self) -> bool {
        self.current.is_some() || !self.queue.is_empty()
    }

    /// The piece playing now, if any.
    pub fn current(&self) -> Option<&Arc<Prompt>> {
        self.current.as_ref().map(|playing| &playing.prompt)
    }

    /// The frame to send at `now`, or `None` when nothing plays (send silence or background).
    pub fn next_frame(&mut self, now: Instant) -> Option<PlaybackFrame<'_>> {
        loop {
            if let Some(playing) = &mut self.current {
                if playing.next_frame < playing.prompt.frame_count() {
                    playing.next_frame += 1;
                    break;
                }
                self.events.push_back(PlaybackEvent::Finished {
                    prompt: Arc::clone(playing.prompt.name()),
                    started: playing.started,
                    at: now,
                });
                self.current = None;
                if self.queue.is_empty() {
                    self.events
                        .push_back(PlaybackEvent::SequenceFinished { at: now });
                    return None;
                }
            }
            let prompt = self.queue.pop_front()?;
            self.events.push_back(PlaybackEvent::Started {
                prompt: Arc::clone(prompt.name()),
                at: now,
            });
            self.current = Some(Playing {
                prompt,
                next_frame: 0,
                started: now,
            });
        }
        let playing = self.current.as_ref()?;
        Some(PlaybackFrame {
            prompt: &playing.prompt,
            index: playing.next_frame - 1,
        })
    }

    /// The next event, oldest first.
    pub fn poll_event(&mut self) -> Option<PlaybackEvent> {
        self.events.pop_front()
    }
}
