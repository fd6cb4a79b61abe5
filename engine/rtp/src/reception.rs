//! Receive-side statistics of one RTP source: RFC 3550 A.1 (sequence validation and extension),
//! A.3 (expected and lost packets) and A.8 (interarrival jitter).

use std::time::{Duration, Instant};

/// A jump of more sequence numbers than this is not a gap but a possible restart (RFC 3550 A.1).
const MAX_DROPOUT: u16 = 3000;
/// Packets this far behind the highest sequence number are old duplicates or reordering.
const MAX_MISORDER: u16 = 100;
/// A change in transit time above this is a timestamp discontinuity (new media source behind
/// the same SSRC), not network jitter.
const TIMESTAMP_JUMP: Duration = Duration::from_secs(1);

/// What [`ReceptionStats::update_sequence`] decided about a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceVerdict {
    /// In sequence, a small gap, or a reordered/duplicate packet: process it.
    Accepted,
    /// Second in-order packet after a large jump: the sender restarted its sequence. State was
    /// re-initialised at this packet; downstream buffers must be reset.
    Restarted,
    /// A large jump not (yet) confirmed by a following packet: drop it.
    Rejected,
}

/// Sequence, loss and jitter state for one source, as RFC 3550 appendix A computes it.
#[derive(Debug, Clone)]
pub(crate) struct ReceptionStats {
    clock_rate: u32,
    /// Origin of the arrival clock used for jitter.
    epoch: Instant,
    started: bool,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    /// Sequence number that confirms a restart after a large jump (`> u16::MAX` means none).
    bad_seq: u32,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Relative transit time of the previous packet, in timestamp units.
    transit: Option<u32>,
    /// Interarrival jitter in timestamp units (kept as f64 to avoid the RFC's fixed-point).
    jitter: f64,
    last_fraction: Option<u8>,
}

impl ReceptionStats {
    pub(crate) fn new(epoch: Instant, clock_rate: u32) -> Self {
        ReceptionStats {
            clock_rate: clock_rate.max(1),
            epoch,
            started: false,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: u32::from(u16::MAX) + 1,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
            last_fraction: None,
        }
    }

    fn init_sequence(&mut self, seq: u16) {
        self.started = true;
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = u32::from(u16::MAX) + 1;
        self.cycles = 0;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
        self.transit = None;
    }

    /// RFC 3550 A.1 `update_seq`, without the probation period: the first packet is accepted
    /// at once (the address latch already protects against strays).
    pub(crate) fn update_sequence(&mut self, seq: u16) -> SequenceVerdict {
        if !self.started {
            self.init_sequence(seq);
            self.received = 1;
            return SequenceVerdict::Accepted;
        }
        let delta = seq.wrapping_sub(self.max_seq);
        let verdict = if delta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
            SequenceVerdict::Accepted
        } else if delta <= u16::MAX - MAX_MISORDER {
            if u32::from(seq) == self.bad_seq {
                self.init_sequence(seq);
                SequenceVerdict::Restarted
            } else {
                self.bad_seq = u32::from(seq.wrapping_add(1));
                return SequenceVerdict::Rejected;
            }
        } else {
            SequenceVerdict::Accepted
        };
        self.received += 1;
        verdict
    }

    /// RFC 3550 A.8 jitter update for a packet with RTP timestamp `timestamp` arriving at `now`.
    /// Returns `true` if the timestamp jumped (transit changed by more than a second); the
    /// estimate is then re-anchored instead of absorbing the jump.
    pub(crate) fn update_jitter(&mut self, now: Instant, timestamp: u32) -> bool {
        let arrival = self.arrival_units(now);
        let transit = arrival.wrapping_sub(timestamp);
        let Some(previous) = self.transit.replace(transit) else {
            return false;
        };
        let difference = f64::from((transit.wrapping_sub(previous) as i32).unsigned_abs());
        if difference > TIMESTAMP_JUMP.as_secs_f64() * f64::from(self.clock_rate) {
            return true;
        }
        self.jitter += (difference - self.jitter) / 16.0;
        false
    }

    /// Arrival time in timestamp units since the epoch, wrapping like RTP timestamps.
    fn arrival_units(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.epoch);
        let units = elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000;
        units as u32
    }

    /// Whether any packet was received.
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    /// Highest sequence number received, extended with the wrap count.
    pub(crate) fn extended_max(&self) -> u32 {
        self.cycles.wrapping_add(u32::from(self.max_seq))
    }

    fn expected(&self) -> u64 {
        if !self.started {
            return 0;
        }
        let cycles = u64::from(self.cycles);
        (cycles + u64::from(self.max_seq) + 1).saturating_sub(u64::from(self.base_seq))
    }

    /// Packets lost since the start (negative with duplicates), RFC 3550 A.3.
    pub(crate) fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Cumulative loss clamped to the 24-bit signed field of a report block.
    pub(crate) fn cumulative_lost_field(&self) -> i32 {
        self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32
    }

    /// Fraction lost since the previous call (8-bit fixed point, RFC 3550 A.3); starts a new
    /// reporting interval.
    pub(crate) fn take_fraction_lost(&mut self) -> u8 {
        let fraction = self.fraction_since_prior();
        self.expected_prior = self.expected();
        self.received_prior = self.received;
        self.last_fraction = Some(fraction);
        fraction
    }

    fn fraction_since_prior(&self) -> u8 {
        let expected_interval = self.expected().saturating_sub(self.expected_prior);
        let received_interval = self.received.saturating_sub(self.received_prior);
        let lost_interval = expected_interval.saturating_sub(received_interval);
        if expected_interval == 0 || lost_interval == 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval).min(255) as u8
        }
    }

    /// Fraction lost in the last reporting interval, or since the start if none was reported.
    pub(crate) fn fraction_lost(&self) -> u8 {
        self.last_fraction
            .unwrap_or_else(|| self.fraction_since_prior())
    }

    /// Jitter in timestamp units, as a report block carries it.
    pub(crate) fn jitter_units(&self) -> u32 {
        self.jitter.round() as u32
    }

    /// Jitter as a duration.
    pub(crate) fn jitter(&self) -> Duration {
        Duration::from_secs_f64(self.jitter / f64::from(self.clock_rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_loss_across_sequence_wrap() {
        let mut stats = ReceptionStats::new(Instant::now(), 8000);
        for seq in [65530u16, 65531, 65533, 65535, 0, 1, 3] {
            assert_eq!(stats.update_sequence(seq), SequenceVerdict::Accepted);
        }
        assert_eq!(stats.extended_max(), 65536 + 3);
        // Expected 65530..=65539 = 10, received 7.
        assert_eq!(stats.cumulative_lost(), 3);
        assert_eq!(stats.take_fraction_lost(), (3 * 256 / 10) as u8);
        for seq in 4u16..14 {
            stats.update_sequence(seq);
        }
        assert_eq!(stats.take_fraction_lost(), 0);
        assert_eq!(stats.fraction_lost(), 0);
    }

    #[test]
    fn duplicates_make_loss_negative() {
        let mut stats = ReceptionStats::new(Instant::now(), 8000);
        for seq in [10u16, 11, 11, 12] {
            stats.update_sequence(seq);
        }
        assert_eq!(stats.cumulative_lost(), -1);
        assert_eq!(stats.take_fraction_lost(), 0);
    }

    #[test]
    fn large_jump_needs_two_sequential_packets() {
        let mut stats = ReceptionStats::new(Instant::now(), 8000);
        stats.update_sequence(100);
        stats.update_sequence(101);
        assert_eq!(stats.update_sequence(40000), SequenceVerdict::Rejected);
        assert_eq!(stats.update_sequence(102), SequenceVerdict::Accepted);
        assert_eq!(stats.update_sequence(50000), SequenceVerdict::Rejected);
        assert_eq!(stats.update_sequence(50001), SequenceVerdict::Restarted);
        assert_eq!(stats.update_sequence(50002), SequenceVerdict::Accepted);
        assert_eq!(stats.cumulative_lost(), 0);
        assert_eq!(stats.extended_max(), 50002);
        // A late packet from before the jump is misordered, not a restart.
        assert_eq!(stats.update_sequence(49990), SequenceVerdict::Accepted);
    }

    #[test]
    fn jitter_follows_rfc3550_estimator() {
        let start = Instant::now();
        let mut stats = ReceptionStats::new(start, 8000);
        // Packets every 20 ms (160 units), arrivals alternating 0 and 10 ms late.
        for index in 0..400u32 {
            let late = if index % 2 == 1 { 10 } else { 0 };
            let arrival = start + Duration::from_millis(u64::from(index) * 20 + late);
            assert!(!stats.update_jitter(arrival, 1000 + index * 160));
        }
        // |D| is always 80 units, so the estimate converges to 80 units = 10 ms.
        assert_eq!(stats.jitter_units(), 80);
        assert_eq!(stats.jitter().as_millis(), 10);
    }

    #[test]
    fn timestamp_jump_is_not_jitter() {
        let start = Instant::now();
        let mut stats = ReceptionStats::new(start, 8000);
        assert!(!stats.update_jitter(start, 0));
        assert!(!stats.update_jitter(start + Duration::from_millis(20), 160));
        assert!(stats.update_jitter(start + Duration::from_millis(40), 900_000));
        assert!(!stats.update_jitter(start + Duration::from_millis(60), 900_160));
        assert_eq!(stats.jitter_units(), 0);
        // Silence suppression: timestamps and arrivals advance together.
        assert!(!stats.update_jitter(start + Duration::from_secs(30), 900_160 + 239_520));
    }
}
