//! Sans-IO RTP/RTCP media for one call: symmetric-RTP latching, an adaptive jitter buffer,
//! RFC 4733 DTMF both ways, RTCP SR/RR with loss, jitter and round-trip time, drift-free
//! outbound pacing and RTP port allocation.
//!
//! Nothing here reads a clock, opens a socket or spawns a task: time is passed in as `now`,
//! wall-clock NTP time for RTCP as an argument, random SSRC/sequence/timestamp in the config.
//!
//! Drive contract for [`RtpSession`]: after any input (a datagram, a pacer tick), drain
//! [`RtpSession::poll_event`] until it returns `None`; on each [`Pacer`] tick take
//! [`RtpSession::next_frame`] for playout and send what [`RtpSession::send_audio`] (or
//! [`RtpSession::skip_frame`]) returns; sleep until the earlier of the next pacer deadline and
//! [`RtpSession::poll_timeout`], then call [`RtpSession::poll_rtcp`].
//!
//! ```
//! use std::time::{Duration, Instant};
//! use voxgate_rtp::{PlayoutFrame, RtpSession, SessionConfig};
//!
//! let now = Instant::now();
//! let config = SessionConfig {
//!     ssrc: 0x1234_5678,
//!     initial_sequence: 1000,
//!     initial_timestamp: 160_000,
//!     payload_type: 0,
//!     clock_rate: 8000,
//!     samples_per_frame: 160,
//!     telephone_event: Some((101, 8000)),
//!     remote_rtp: Some("192.0.2.10:40000".parse().unwrap()),
//!     remote_rtcp: None,
//!     jitter_min: Duration::from_millis(20),
//!     jitter_max: Duration::from_millis(200),
//!     rtcp_interval: Duration::from_secs(5),
//! };
//! let mut session = RtpSession::new(now, config);
//! let packet = session.send_audio(now, &[0xFF; 160]).expect("remote known from SDP");
//! assert_eq!(packet.payload.len(), 12 + 160);
//! assert_eq!(session.next_frame(now), PlayoutFrame::Silence);
//! ```

mod dtmf;
mod error;
pub mod jitter_buffer;
mod latch;
mod outbound;
mod pacer;
mod port_allocator;
mod reception;
pub mod rtcp;
mod session;

pub use error::RtpError;
pub use jitter_buffer::{
    InsertOutcome, JitterBuffer, JitterBufferConfig, JitterBufferStats, MAX_CONCEALED_FRAMES,
    PlayoutFrame,
};
pub use latch::LATCH_SWITCH_PACKETS;
pub use pacer::{MAX_CATCH_UP_FRAMES, Pacer};
pub use port_allocator::PortAllocator;
pub use session::{MediaEvent, MediaStats, RtpSession, SessionConfig, Transmit};

/// Whether a datagram on a shared port is RTCP rather than RTP (RFC 5761 section 4): version 2
/// and a second byte whose low 7 bits are 64-95, i.e. RTCP packet types 192-223 (SR 200, RR 201,
/// SDES 202, BYE 203, APP 204, feedback 205/206), which RTP payload types avoid.
pub fn is_rtcp(packet: &[u8]) -> bool {
    match packet {
        [first, second, ..] => first >> 6 == 2 && (64..=95).contains(&(second & 0x7F)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demultiplexes_rtcp_from_rtp() {
        for packet_type in [200u8, 201, 202, 203, 204, 205, 206] {
            assert!(is_rtcp(&[0x80, packet_type, 0, 1]), "{packet_type}");
        }
        assert!(!is_rtcp(&[0x80, 0x00]), "PCMU");
        assert!(!is_rtcp(&[0x80, 0x80 | 8]), "PCMA with marker");
        assert!(!is_rtcp(&[0x80, 101]), "telephone-event");
        assert!(!is_rtcp(&[0x80, 0x80 | 101]), "telephone-event with marker");
        assert!(!is_rtcp(&[0x40, 200]), "version 1");
        assert!(!is_rtcp(&[0x80]));
        assert!(!is_rtcp(&[]));
    }
}
