//! The voice timeline of a call record: every utterance (start, end, barge-in or not), every
//! prompt played (start, end, where it was cut) and every no-input event, in milliseconds from
//! the call's origin (e.g. the answer), serialisable with serde.
//!
//! Feed it the front end's [`VoiceEvent`]s and the player's [`PlaybackEvent`]s as they come;
//! it allocates only when it records an entry, never per frame.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::endpointing::{UtteranceEnd, VoiceEvent};
use crate::playback::PlaybackEvent;

/// One entry of the voice timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TimelineEntry {
    /// The callee's speech that formed one utterance.
    Utterance {
        /// Start of the speech.
        start_ms: u64,
        /// End of the speech.
        end_ms: u64,
        /// When the utterance was reported (later than `end_ms` by the end silence, or by the
        /// rest of a no-barge-in prompt it was spoken over).
        reported_ms: u64,
        /// The speech interrupted a prompt.
        barge_in: bool,
        /// The speech began while a prompt was playing.
        over_prompt: bool,
        /// What ended it.
        ended_by: UtteranceEnd,
        /// What the recogniser made of it, once known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        transcript: Option<String>,
    },
    /// A prompt piece that played.
    Prompt {
        /// Prompt name.
        name: String,
        /// Its first frame.
        start_ms: u64,
        /// The end of its playback (the cut time when cut).
        end_ms: u64,
        /// Set when it was stopped before its end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cut_at_ms: Option<u64>,
    },
    /// Nothing was said in time after a prompt.
    NoInput {
        /// When listening started.
        since_ms: u64,
        /// When the no-input timeout fired.
        at_ms: u64,
    },
}

/// The voice timeline of one call.
#[derive(Clone, Debug)]
pub struct VoiceTimeline {
    origin: Instant,
    entries: Vec<TimelineEntry>,
}

impl VoiceTimeline {
    /// An empty timeline counting milliseconds from `origin`.
    pub fn new(origin: Instant) -> Self {
        Self {
            origin,
            entries: Vec::new(),
        }
    }

    /// Records what a voice event means for the record (utterances and no-input; speech
    /// starts and barge-ins show up in the utterance and prompt entries). Returns the index of
    /// the entry written, if any, for [`VoiceTimeline::set_transcript`].
    pub fn record_voice(&mut self, now: Instant, event: &VoiceEvent) -> Option<usize> {
        let entry = match event {
            VoiceEvent::UtteranceEnded(utterance) => TimelineEntry::Utterance {
                start_ms: self.ms(utterance.start),
                end_ms: self.ms(utterance.end),
                reported_ms: self.ms(now),
                barge_in: utterance.barged_in,
                over_prompt: utterance.over_prompt,
                ended_by: utterance.ended_by,
                transcript: None,
            },
            VoiceEvent::NoInput { at, since } => TimelineEntry::NoInput {
                since_ms: self.ms(*since),
                at_ms: self.ms(*at),
            },
            VoiceEvent::SpeechStarted { .. } | VoiceEvent::BargeIn { .. } => return None,
        };
        self.entries.push(entry);
        Some(self.entries.len() - 1)
    }

    /// Records finished and cut prompt pieces (starts are implied by them).
    pub fn record_playback(&mut self, event: &PlaybackEvent) {
        let entry = match event {
            PlaybackEvent::Finished {
                prompt,
                started,
                at,
            } => TimelineEntry::Prompt {
                name: name_of(prompt),
                start_ms: self.ms(*started),
                end_ms: self.ms(*at),
                cut_at_ms: None,
            },
            PlaybackEvent::Cut {
                prompt,
                started,
                at,
                ..
            } => TimelineEntry::Prompt {
                name: name_of(prompt),
                start_ms: self.ms(*started),
                end_ms: self.ms(*at),
                cut_at_ms: Some(self.ms(*at)),
            },
            PlaybackEvent::Started { .. } | PlaybackEvent::SequenceFinished { .. } => return,
        };
        self.entries.push(entry);
    }

    /// Attaches the recogniser's text to the utterance entry at `index`. Returns false if that
    /// entry is not an utterance.
    pub fn set_transcript(&mut self, index: usize, text: impl Into<String>) -> bool {
        match self.entries.get_mut(index) {
            Some(TimelineEntry::Utterance { transcript, .. }) => {
                *transcript = Some(text.into());
                true
            }
            _ => false,
        }
    }

    /// The entries in the order they were recorded.
    pub fn entries(&self) -> &[TimelineEntry] {
        &self.entries
    }

    /// The entries, sorted by start time (stable), for the call record.
    pub fn into_entries(mut self) -> Vec<TimelineEntry> {
        self.entries.sort_by_key(start_ms);
        self.entries
    }

    fn ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }
}

fn name_of(prompt: &Arc<str>) -> String {
    prompt.to_string()
}

fn start_ms(entry: &TimelineEntry) -> u64 {
    match entry {
        TimelineEntry::Utterance { start_ms, .. } | TimelineEntry::Prompt { start_ms, .. } => {
            *start_ms
        }
        TimelineEntry::NoInput { at_ms, .. } => *at_ms,
    }
}
