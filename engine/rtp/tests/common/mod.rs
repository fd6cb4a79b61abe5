//! Shared helpers for the integration tests: a seeded RNG and session fixtures.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use voxgate_rtp::SessionConfig;

/// SplitMix64: a tiny deterministic generator, so a failing seed reproduces exactly on any
/// platform and dependency version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// True with probability `percent / 100`.
    pub fn chance(&mut self, percent: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 100.0 < percent
    }
}

pub const FRAME: Duration = Duration::from_millis(20);

pub fn addr(text: &str) -> SocketAddr {
    text.parse().expect("test address")
}

/// A PCMU session config with telephone-event 101/8000.
pub fn config(ssrc: u32, remote_rtp: Option<SocketAddr>) -> SessionConfig {
    SessionConfig {
        ssrc,
        initial_sequence: (ssrc >> 16) as u16,
        initial_timestamp: ssrc.rotate_left(7),
        payload_type: 0,
        clock_rate: 8000,
        samples_per_frame: 160,
        telephone_event: Some((101, 8000)),
        remote_rtp,
        remote_rtcp: None,
        jitter_min: Duration::from_millis(20),
        jitter_max: Duration::from_millis(200),
        rtcp_interval: Duration::from_secs(5),
    }
}

/// A raw RTP packet.
pub fn rtp(
    payload_type: u8,
    marker: bool,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut packet = vec![0x80, payload_type | if marker { 0x80 } else { 0 }];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&timestamp.to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

/// A raw RTP telephone-event packet (payload type 101).
pub fn event(
    marker: bool,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    digit: u8,
    end: bool,
    duration: u16,
) -> Vec<u8> {
    let flags = if end { 0x80 } else { 0 } | 10;
    let [high, low] = duration.to_be_bytes();
    rtp(
        101,
        marker,
        seq,
        timestamp,
        ssrc,
        &[digit, flags, high, low],
    )
}

/// A 160-byte payload carrying `seq` in its first two bytes, to check playout order.
pub fn numbered_payload(seq: u64) -> Vec<u8> {
    let mut payload = vec![0xFF; 160];
    payload[..8].copy_from_slice(&seq.to_be_bytes());
    payload
}

pub fn payload_number(payload: &[u8]) -> u64 {
    u64::from_be_bytes(payload[..8].try_into().expect("numbered payload"))
}
