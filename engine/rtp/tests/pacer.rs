//! The pacer over a simulated one-hour call with random wake-up lateness.

mod common;

use std::time::{Duration, Instant};

use common::{FRAME, Rng};
use voxgate_rtp::{MAX_CATCH_UP_FRAMES, Pacer};

#[test]
fn one_hour_with_random_lateness_has_zero_drift() {
    let start = Instant::now();
    let mut rng = Rng::new(2024);
    let mut pacer = Pacer::new(start, FRAME);
    let mut produced = 0u64;
    let mut now = start;
    let end = start + Duration::from_secs(3600);
    while now < end {
        // Sleep until the deadline, waking up late: mostly by < 2 ms, sometimes by tens of
        // milliseconds, rarely (scheduler stall) by up to 300 ms.
        let lateness_us = match rng.below(1000) {
            0..=899 => rng.below(2_000),
            900..=989 => rng.below(30_000),
            _ => rng.below(300_000),
        };
        now = pacer.next_deadline().max(now) + Duration::from_micros(lateness_us);
        let due = pacer.due(now);
        assert!((1..=MAX_CATCH_UP_FRAMES).contains(&due), "due {due}");
        produced += due;
        // Never ahead of the clock, never behind it after a call.
        let elapsed_frames = ((now - start).as_nanos() / FRAME.as_nanos()) as u64 + 1;
        assert_eq!(produced + pacer.skipped(), elapsed_frames);
        assert!(pacer.next_deadline() > now);
    }
    let final_due = pacer.due(end);
    produced += final_due;
    let expected = (Duration::from_secs(3600).as_nanos() / FRAME.as_nanos()) as u64 + 1;
    assert_eq!(
        produced + pacer.skipped(),
        expected,
        "frame count == elapsed / 20 ms"
    );
    assert_eq!(pacer.next_deadline(), end + FRAME);
    assert!(pacer.skipped() > 0, "the rare stalls exercised skipping");
    assert!(
        produced > expected * 9 / 10,
        "only stalls beyond the catch-up limit are skipped"
    );
}
