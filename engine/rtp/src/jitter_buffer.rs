//! Adaptive jitter buffer for one received audio stream.
//!
//! Packets are ordered by (extended) sequence number in a ring of fixed slots whose payload
//! buffers are reused, so steady-state operation does not allocate. Playout pulls one frame per
//! pacer tick. The playout delay adapts between `min_delay` and `max_delay`: the target is four
//! times the RFC 3550 interarrival jitter plus one frame per tick that saw late packets
//! (decaying by a frame per five seconds without late packets). Playout starts once the target
//! is buffered (or the first packet waited that long); an underrun stops playout and re-buffers,
//! resuming at the first buffered frame; a depth beyond the target plus two frames is trimmed one
//! frame per tick, and at once down to the target beyond `max_delay`.
//!
//! A missing frame is concealed by repeating the last payload at most [`MAX_CONCEALED_FRAMES`]
//! times in a row, then silence.

use std::time::{Duration, Instant};

/// Most consecutive frames concealed by repeating the last payload before playing silence.
pub const MAX_CONCEALED_FRAMES: u32 = 3;
/// Depth above the target (in frames) tolerated before frames are trimmed.
const TRIM_HYSTERESIS_FRAMES: u64 = 2;
/// Ticks without a late packet after which the late-packet allowance shrinks by one frame.
const LATE_DECAY_TICKS: u32 = 250;
/// Jitter multiple used as playout delay (covers the bulk of a Laplacian-like delay spread).
const JITTER_MULTIPLE: u32 = 4;

/// One frame of received audio, as handed to playout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayoutFrame<'a> {
    /// The codec payload of the frame due now.
    Audio(&'a [u8]),
    /// The frame due now is missing; this repeats the last payload (bounded).
    Concealed(&'a [u8]),
    /// Nothing to play (before the first packet, after concealment ran out, or during DTMF).
    Silence,
}

/// What became of an inserted packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// Stored for playout.
    Buffered,
    /// Already buffered: dropped.
    Duplicate,
    /// Its playout time has passed: dropped.
    Late,
}

/// Settings of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterBufferConfig {
    /// Duration of one packet/frame (20 ms for G.711).
    pub frame: Duration,
    /// Smallest playout delay.
    pub min_delay: Duration,
    /// Largest playout delay; deeper content is trimmed.
    pub max_delay: Duration,
    /// Payload bytes reserved per slot up front (160 for 20 ms of G.711).
    pub payload_capacity: usize,
}

/// Counters of a [`JitterBuffer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterBufferStats {
    /// Packets dropped because they arrived after their playout time.
    pub late: u64,
    /// Packets dropped because they were already buffered.
    pub duplicates: u64,
    /// Buffered frames dropped to bring the delay back to the target.
    pub discarded: u64,
    /// Frames missing at their playout time (counted once each).
    pub lost: u64,
    /// Frames played as [`PlayoutFrame::Concealed`].
    pub concealed: u64,
    /// Times the buffer was reset (new source, timestamp jump, sequence restart).
    pub resets: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotContent {
    Empty,
    Audio,
    /// A sequence number used by a non-audio packet (RFC 4733 event): plays as silence.
    NoAudio,
}

#[derive(Debug, Clone)]
struct Slot {
    seq: u64,
    content: SlotContent,
    payload: Vec<u8>,
}

/// Reorders, de-duplicates and paces received frames. See the module docs.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterBufferConfig,
    min_frames: u64,
    max_frames: u64,
    slots: Vec<Slot>,
    /// Extended sequence number due next; `None` until a packet arrives after a reset.
    next: Option<u64>,
    /// Whether `next` moved by playout or trimming, so anything below it is late. Until then an
    /// earlier packet (reordered before playout started) may still lower it.
    next_is_floor: bool,
    highest: Option<u64>,
    occupied: usize,
    playing: bool,
    /// Arrival of the first packet waiting while not playing.
    waiting_since: Option<Instant>,
    last_payload: Vec<u8>,
    has_last_payload: bool,
    concealed_run: u32,
    jitter: Duration,
    late_allowance_frames: u64,
    ticks_since_late: u32,
    stats: JitterBufferStats,
}

impl JitterBuffer {
    /// An empty buffer.
    pub fn new(config: JitterBufferConfig) -> Self {
        let frame = config.frame.max(Duration::from_millis(1));
        let min_frames = frames_ceil(config.min_delay, frame).max(1);
        let max_frames = (config.max_delay.as_nanos() / frame.as_nanos()) as u64;
        let max_frames = max_frames.max(min_frames);
        let capacity = usize::try_from(max_frames * 2 + 8)
            .unwrap_or(usize::MAX)
            .min(4096);
        let slot = Slot {
            seq: 0,
            content: SlotContent::Empty,
            payload: Vec::with_capacity(config.payload_capacity),
        };
        JitterBuffer {
            config: JitterBufferConfig { frame, ..config },
            min_frames,
            max_frames,
            slots: vec![slot; capacity],
            next: None,
            next_is_floor: false,
            highest: None,
            occupied: 0,
            playing: false,
            waiting_since: None,
            last_payload: Vec::with_capacity(config.payload_capacity),
            has_last_payload: false,
            concealed_run: 0,
            jitter: Duration::ZERO,
            late_allowance_frames: 0,
            ticks_since_late: 1,
            stats: JitterBufferStats::default(),
        }
    }

    /// Stores an audio packet's payload for playout.
    pub fn insert(&mut self, now: Instant, seq: u16, payload: &[u8]) -> InsertOutcome {
        self.store(now, seq, Some(payload))
    }

    /// Marks a sequence number used by a non-audio packet (e.g. a telephone-event), so its tick
    /// plays silence instead of counting as loss.
    pub fn insert_no_audio(&mut self, now: Instant, seq: u16) -> InsertOutcome {
        self.store(now, seq, None)
    }

    fn store(&mut self, now: Instant, seq: u16, payload: Option<&[u8]>) -> InsertOutcome {
        let seq = self.extend(seq);
        let capacity = self.slots.len() as u64;
        match self.next {
            Some(next) if seq < next => {
                // Before playout began, an earlier packet may still start it, if it fits.
                if self.next_is_floor
                    || self
                        .highest
                        .is_some_and(|highest| highest - seq >= capacity)
                {
                    self.note_late();
                    return InsertOutcome::Late;
                }
                self.next = Some(seq);
            }
            Some(next) if seq - next >= capacity => {
                if seq - next >= 2 * capacity {
                    self.reset();
                    self.next = Some(seq);
                } else {
                    self.drop_until(seq + 1 - capacity);
                }
            }
            Some(_) => {}
            None => self.next = Some(seq),
        }
        let slot = &mut self.slots[(seq % capacity) as usize];
        if slot.content != SlotContent::Empty {
            if slot.seq == seq {
                self.stats.duplicates += 1;
                return InsertOutcome::Duplicate;
            }
            // Unreachable while `seq - next < capacity`; kept as a safe overwrite.
            self.stats.discarded += 1;
            self.occupied -= 1;
        }
        slot.seq = seq;
        slot.payload.clear();
        match payload {
            Some(payload) => {
                slot.payload.extend_from_slice(payload);
                slot.content = SlotContent::Audio;
            }
            None => slot.content = SlotContent::NoAudio,
        }
        self.occupied += 1;
        self.highest = Some(self.highest.map_or(seq, |highest| highest.max(seq)));
        if !self.playing && self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        InsertOutcome::Buffered
    }

    /// The frame to play for this tick. Call once per frame period.
    pub fn pop(&mut self, now: Instant) -> PlayoutFrame<'_> {
        self.decay_late_allowance();
        let target = self.target_frames();
        if !self.playing {
            let Some(lowest) = self.lowest_buffered() else {
                return self.missing_frame();
            };
            let waited = self
                .waiting_since
                .is_some_and(|since| now.saturating_duration_since(since) >= self.frames(target));
            if self.depth() < target && !waited {
                return self.missing_frame();
            }
            // Resume at the first buffered frame: frames missing before it were already
            // concealed while waiting and count as lost.
            if let Some(next) = self.next.filter(|&next| next < lowest) {
                if self.next_is_floor {
                    self.stats.lost += lowest - next;
                }
                self.next = Some(lowest);
            }
            self.playing = true;
            self.waiting_since = None;
        }
        let Some(next) = self.next else {
            return self.missing_frame();
        };
        // Trim: a frame per tick above target + hysteresis, at once above the maximum.
        let depth = self.depth();
        let next = if depth > self.max_frames + 1 {
            let keep_from = next + depth - target;
            self.drop_until(keep_from);
            keep_from
        } else if depth > target + TRIM_HYSTERESIS_FRAMES {
            self.drop_until(next + 1);
            next + 1
        } else {
            next
        };
        let capacity = self.slots.len() as u64;
        let slot = &mut self.slots[(next % capacity) as usize];
        let content = if slot.seq == next {
            slot.content
        } else {
            SlotContent::Empty
        };
        match content {
            SlotContent::Audio => {
                std::mem::swap(&mut slot.payload, &mut self.last_payload);
                slot.content = SlotContent::Empty;
                self.occupied -= 1;
                self.advance_to(next + 1);
                self.has_last_payload = true;
                self.concealed_run = 0;
                PlayoutFrame::Audio(&self.last_payload)
            }
            SlotContent::NoAudio => {
                slot.content = SlotContent::Empty;
                self.occupied -= 1;
                self.advance_to(next + 1);
                self.has_last_payload = false;
                PlayoutFrame::Silence
            }
            SlotContent::Empty if self.occupied > 0 => {
                self.stats.lost += 1;
                self.advance_to(next + 1);
                self.missing_frame()
            }
            SlotContent::Empty => {
                // Underrun: wait for the frame (it may be late rather than lost) and re-buffer.
                self.playing = false;
                self.missing_frame()
            }
        }
    }

    /// Drops everything buffered and starts over with the next packet (new source, sequence
    /// restart or timestamp jump). Adaptation state is kept.
    pub fn reset(&mut self) {
        for slot in &mut self.slots {
            slot.content = SlotContent::Empty;
        }
        self.next = None;
        self.next_is_floor = false;
        self.highest = None;
        self.occupied = 0;
        self.playing = false;
        self.waiting_since = None;
        self.stats.resets += 1;
    }

    /// Feeds the current interarrival jitter estimate (RFC 3550 A.8) to the delay adaptation.
    pub fn set_jitter(&mut self, jitter: Duration) {
        self.jitter = jitter;
    }

    /// The playout delay currently aimed for.
    pub fn target_delay(&self) -> Duration {
        self.frames(self.target_frames())
    }

    /// Audio currently buffered ahead of playout (including gaps), as a duration.
    pub fn current_delay(&self) -> Duration {
        self.frames(self.depth())
    }

    /// Whether frames are being played (as opposed to buffering).
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Counters since creation.
    pub fn stats(&self) -> JitterBufferStats {
        self.stats
    }

    /// Extends a 16-bit sequence number to the one nearest the current position.
    fn extend(&self, seq: u16) -> u64 {
        let Some(reference) = self.highest.or(self.next) else {
            // Start high so that earlier (reordered) packets never underflow.
            return (1 << 32) + u64::from(seq);
        };
        let delta = i64::from(seq.wrapping_sub(reference as u16) as i16);
        reference.saturating_add_signed(delta)
    }

    /// Frames from the playout position (or, while waiting, the first buffered frame) to the
    /// highest buffered one, gaps included.
    fn depth(&self) -> u64 {
        let from = if self.playing {
            self.next
        } else {
            self.lowest_buffered()
        };
        match (from, self.highest) {
            (Some(from), Some(highest)) if highest >= from => highest - from + 1,
            _ => 0,
        }
    }

    fn lowest_buffered(&self) -> Option<u64> {
        let (next, highest) = (self.next?, self.highest?);
        if self.occupied == 0 {
            return None;
        }
        let capacity = self.slots.len() as u64;
        (next..=highest).find(|&seq| {
            let slot = &self.slots[(seq % capacity) as usize];
            slot.seq == seq && slot.content != SlotContent::Empty
        })
    }

    fn target_frames(&self) -> u64 {
        let jitter_frames = frames_ceil(self.jitter * JITTER_MULTIPLE, self.config.frame);
        (jitter_frames.max(self.min_frames) + self.late_allowance_frames).min(self.max_frames)
    }

    fn frames(&self, count: u64) -> Duration {
        self.config.frame * u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Discards buffered frames with sequence numbers below `until` and moves playout there.
    fn drop_until(&mut self, until: u64) {
        let Some(next) = self.next else { return };
        let capacity = self.slots.len() as u64;
        for seq in next..until.min(next + capacity) {
            let slot = &mut self.slots[(seq % capacity) as usize];
            if slot.seq == seq && slot.content != SlotContent::Empty {
                if slot.content == SlotContent::Audio {
                    self.stats.discarded += 1;
                }
                slot.content = SlotContent::Empty;
                self.occupied -= 1;
            }
        }
        self.next = Some(until.max(next));
        self.next_is_floor = true;
    }

    fn advance_to(&mut self, next: u64) {
        self.next = Some(next);
        self.next_is_floor = true;
    }

    fn missing_frame(&mut self) -> PlayoutFrame<'_> {
        if self.has_last_payload && self.concealed_run < MAX_CONCEALED_FRAMES {
            self.concealed_run += 1;
            self.stats.concealed += 1;
            PlayoutFrame::Concealed(&self.last_payload)
        } else {
            PlayoutFrame::Silence
        }
    }

    fn note_late(&mut self) {
        self.stats.late += 1;
        // A burst of late packets within one tick (a delay spike) raises the target once.
        if self.ticks_since_late > 0 {
            self.late_allowance_frames = (self.late_allowance_frames + 1).min(self.max_frames);
        }
        self.ticks_since_late = 0;
    }

    fn decay_late_allowance(&mut self) {
        self.ticks_since_late = self.ticks_since_late.saturating_add(1);
        if self.ticks_since_late >= LATE_DECAY_TICKS && self.late_allowance_frames > 0 {
            self.late_allowance_frames -= 1;
            self.ticks_since_late = 0;
        }
    }
}

/// Whole frames needed to cover `delay`, rounded up.
fn frames_ceil(delay: Duration, frame: Duration) -> u64 {
    u64::try_from(delay.as_nanos().div_ceil(frame.as_nanos())).unwrap_or(u64::MAX)
}
