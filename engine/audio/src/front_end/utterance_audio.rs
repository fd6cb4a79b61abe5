//! The callee's recent 8 kHz audio and the cutting of utterance segments out of it.
//!
//! A ring keeps the last few seconds so an utterance can start with a pre-roll taken from
//! before its onset was confirmed; from the confirmation on, frames are appended to a capture
//! buffer sized for the longest utterance. When the utterance ends, the segment (pre-roll,
//! speech, post-roll) is copied out into its own vector, which waits until the (possibly held)
//! `UtteranceEnded` event is polled.

use std::collections::VecDeque;

use crate::endpointing::SegmentEdge;

/// Finished segments waiting for their events before the queue has to grow.
const READY_CAPACITY: usize = 8;

#[derive(Debug)]
pub(crate) struct UtteranceAudio {
    ring: Box<[i16]>,
    /// Samples ever pushed; sample `s` lives at `ring[s % ring.len()]` while
    /// `s >= written - ring.len()`.
    written: u64,
    samples_per_frame: u64,
    pre_roll: u64,
    post_roll: u64,
    capture: Vec<i16>,
    /// Sample index of `capture[0]` while an utterance is being captured.
    capture_start: Option<u64>,
    ready: VecDeque<Vec<i16>>,
}

impl UtteranceAudio {
    /// `ring_samples` of history, utterances up to `capture_samples` long (longer ones keep
    /// their beginning), `pre_roll`/`post_roll` samples around the speech.
    pub(crate) fn new(
        samples_per_frame: usize,
        ring_samples: usize,
        capture_samples: usize,
        pre_roll: usize,
        post_roll: usize,
    ) -> Self {
        Self {
            ring: vec![0; ring_samples.max(1)].into_boxed_slice(),
            written: 0,
            samples_per_frame: samples_per_frame as u64,
            pre_roll: pre_roll as u64,
            post_roll: post_roll as u64,
            capture: Vec::with_capacity(capture_samples),
            capture_start: None,
            ready: VecDeque::with_capacity(READY_CAPACITY),
        }
    }

    /// Appends the newest samples (the current frame) to the history and to the capture.
    pub(crate) fn push(&mut self, samples: &[i16]) {
        let len = self.ring.len() as u64;
        for &sample in samples {
            let slot = (self.written % len) as usize;
            if let Some(cell) = self.ring.get_mut(slot) {
                *cell = sample;
            }
            self.written += 1;
        }
        if self.capture_start.is_some() {
            let room = self.capture.capacity() - self.capture.len();
            self.capture
                .extend_from_slice(&samples[..samples.len().min(room)]);
        }
    }

    /// Acts on an utterance boundary reported for frame `current_frame` (the frame whose
    /// samples were pushed last).
    pub(crate) fn on_edge(&mut self, edge: &SegmentEdge, current_frame: u64) {
        match edge {
            SegmentEdge::Started { first_frame } => {
                let oldest = self.written.saturating_sub(self.ring.len() as u64);
                let start = self
                    .sample_of(*first_frame, current_frame)
                    .saturating_sub(self.pre_roll)
                    .max(oldest);
                self.capture.clear();
                let room = self.capture.capacity() as u64;
                let end = self.written.min(start.saturating_add(room));
                let len = self.ring.len() as u64;
                for sample in start..end {
                    self.capture.push(self.ring[(sample % len) as usize]);
                }
                self.capture_start = Some(start);
            }
            SegmentEdge::Ended { frames } => {
                let Some(start) = self.capture_start.take() else {
                    return;
                };
                let end = self
                    .sample_of(frames.end, current_frame)
                    .saturating_add(self.post_roll)
                    .min(self.written);
                let keep = usize::try_from(end.saturating_sub(start))
                    .unwrap_or(usize::MAX)
                    .min(self.capture.len());
                self.ready.push_back(self.capture[..keep].to_vec());
                self.capture.clear();
            }
        }
    }

    /// The oldest finished segment not yet handed out.
    pub(crate) fn pop_ready(&mut self) -> Option<Vec<i16>> {
        self.ready.pop_front()
    }

    /// Sample index where `frame` starts, counted back from the end of `current_frame`.
    fn sample_of(&self, frame: u64, current_frame: u64) -> u64 {
        let frames_back = (current_frame + 1).saturating_sub(frame);
        self.written
            .saturating_sub(frames_back.saturating_mul(self.samples_per_frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(value: i16) -> [i16; 80] {
        [value; 80]
    }

    #[test]
    fn segment_has_pre_roll_speech_and_post_roll() {
        let mut audio = UtteranceAudio::new(80, 8_000, 16_000, 160, 80);
        for k in 0..30u64 {
            audio.push(&frame(k as i16));
            if k == 15 {
                audio.on_edge(&SegmentEdge::Started { first_frame: 10 }, k);
            }
            if k == 25 {
                audio.on_edge(&SegmentEdge::Ended { frames: 10..20 }, k);
            }
        }
        let segment = audio.pop_ready().expect("segment");
        // Frames 8..21: two frames of pre-roll, ten of speech, one of post-roll.
        assert_eq!(segment.len(), 13 * 80);
        assert_eq!(segment[0], 8);
        assert_eq!(segment[2 * 80], 10);
        assert_eq!(*segment.last().expect("samples"), 20);
        assert!(audio.pop_ready().is_none());
    }

    #[test]
    fn pre_roll_is_limited_by_the_ring_and_length_by_the_capture() {
        let mut audio = UtteranceAudio::new(80, 400, 800, 10_000, 0);
        for k in 0..40u64 {
            audio.push(&frame(k as i16));
            if k == 20 {
                audio.on_edge(&SegmentEdge::Started { first_frame: 18 }, k);
            }
        }
        audio.on_edge(&SegmentEdge::Ended { frames: 18..40 }, 39);
        let segment = audio.pop_ready().expect("segment");
        assert_eq!(segment.len(), 800);
        assert_eq!(segment[0], 16, "ring held frames 16..21 only");
    }
}
