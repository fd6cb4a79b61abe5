//! The outbound frame clock.

use std::time::{Duration, Instant};

/// Most frames [`Pacer::due`] releases at once after a late wake-up; beyond this the pacer skips
/// ahead instead of bursting.
pub const MAX_CATCH_UP_FRAMES: u64 = 5;

/// A drift-free frame clock for outbound media (20 ms for G.711).
///
/// Frame `n` is due at `start + n * frame`, computed from the start every time, so late
/// wake-ups never accumulate into drift. A caller that wakes up late produces the missed frames
/// at once (up to [`MAX_CATCH_UP_FRAMES`]); if it is later than that, the older frames are
/// skipped, counted in [`Pacer::skipped`], and only the current frame is produced, because a
/// burst of stale audio would only grow the receiver's jitter buffer.
///
/// Drive contract: sleep until [`Pacer::next_deadline`], then call [`Pacer::due`] and produce that
/// many frames (and advance the RTP clock by [`Pacer::skipped`] frames that were dropped).
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    frame: Duration,
    /// Frames released so far (produced or skipped): the index of the next frame.
    next_frame: u64,
    skipped: u64,
}

impl Pacer {
    /// A pacer whose first frame is due at `start`.
    ///
    /// # Panics
    /// If `frame` is zero (a programming error: frame lengths are constants such as 20 ms).
    pub fn new(start: Instant, frame: Duration) -> Self {
        assert!(!frame.is_zero(), "pacer frame length must be positive");
        Pacer {
            start,
            frame,
            next_frame: 0,
            skipped: 0,
        }
    }

    /// Number of frames to produce now: every frame whose deadline is at or before `now` and was
    /// not released yet, capped at [`MAX_CATCH_UP_FRAMES`] (older ones are skipped).
    pub fn due(&mut self, now: Instant) -> u64 {
        let Some(elapsed) = now.checked_duration_since(self.start) else {
            return 0;
        };
        let deadlines_passed = frames_in(elapsed, self.frame).saturating_add(1);
        let pending = deadlines_passed.saturating_sub(self.next_frame);
        let produce = if pending > MAX_CATCH_UP_FRAMES {
            self.skipped += pending - 1;
            1
        } else {
            pending
        };
        self.next_frame += pending;
        produce
    }

    /// Deadline of the next frame not yet released.
    pub fn next_deadline(&self) -> Instant {
        self.start + frame_offset(self.frame, self.next_frame)
    }

    /// Total frames skipped because the caller woke up too late to catch up.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Total frames released so far (produced plus skipped).
    pub fn frames_released(&self) -> u64 {
        self.next_frame
    }

    /// The frame length.
    pub fn frame(&self) -> Duration {
        self.frame
    }
}

/// Whole frames in `elapsed`.
fn frames_in(elapsed: Duration, frame: Duration) -> u64 {
    u64::try_from(elapsed.as_nanos() / frame.as_nanos()).unwrap_or(u64::MAX)
}

/// `frame * index` without the u32 limit of `Duration * u32`.
fn frame_offset(frame: Duration, index: u64) -> Duration {
    let nanos = frame.as_nanos().saturating_mul(u128::from(index));
    Duration::new(
        u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
        (nanos % 1_000_000_000) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(20);

    #[test]
    fn first_frame_is_due_at_start() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, FRAME);
        assert_eq!(pacer.next_deadline(), start);
        assert_eq!(pacer.due(start), 1);
        assert_eq!(pacer.due(start), 0);
        assert_eq!(pacer.next_deadline(), start + FRAME);
        assert_eq!(pacer.due(start + Duration::from_millis(19)), 0);
        assert_eq!(pacer.due(start + FRAME), 1);
    }

    #[test]
    fn catches_up_small_lateness_and_skips_large() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start, FRAME);
        assert_eq!(pacer.due(start), 1);
        // 3 frames late: frames 1..=4 due at 20..80 ms.
        assert_eq!(pacer.due(start + Duration::from_millis(85)), 4);
        assert_eq!(pacer.skipped(), 0);
        // 1 s stall: 50 frames pending, only the current one is produced.
        assert_eq!(pacer.due(start + Duration::from_millis(1085)), 1);
        assert_eq!(pacer.skipped(), 49);
        assert_eq!(pacer.frames_released(), 55);
        assert_eq!(pacer.next_deadline(), start + Duration::from_millis(1100));
    }

    #[test]
    fn time_before_start_produces_nothing() {
        let start = Instant::now() + Duration::from_secs(1);
        let mut pacer = Pacer::new(start, FRAME);
        assert_eq!(pacer.due(start - Duration::from_millis(5)), 0);
        assert_eq!(pacer.next_deadline(), start);
    }

    #[test]
    fn offsets_beyond_u32_frames() {
        let offset = frame_offset(Duration::from_millis(20), 5_000_000_000);
        assert_eq!(offset, Duration::from_secs(100_000_000));
    }
}
