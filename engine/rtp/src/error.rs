//! The RTP layer's error type.

use std::ops::RangeInclusive;

/// Errors from the RTP/RTCP layer. Parsing network input returns these, never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtpError {
    /// A port range with no usable RTP/RTCP pair (an even port `p > 0` with `p + 1` in range).
    #[error("port range {start}-{end} holds no even RTP port with its RTCP port")]
    InvalidPortRange {
        /// First port of the range.
        start: u16,
        /// Last port of the range.
        end: u16,
    },
    /// A datagram that is not a valid RTP packet.
    #[error("malformed RTP packet: {0}")]
    MalformedRtp(&'static str),
    /// A datagram that is not a valid RTCP (compound) packet.
    #[error("malformed RTCP packet: {0}")]
    MalformedRtcp(&'static str),
    /// A telephone-event payload that could not be parsed.
    #[error("bad telephone-event payload: {0}")]
    TelephoneEvent(#[from] voxgate_codecs::CodecError),
    /// `send_dtmf` on a session that negotiated no telephone-event payload type.
    #[error("telephone-event was not negotiated for this session")]
    TelephoneEventNotNegotiated,
    /// A character that is not a DTMF digit (`0-9 * # A-D`).
    #[error("{0:?} is not a DTMF digit")]
    InvalidDigit(char),
}

impl RtpError {
    pub(crate) fn invalid_range(range: &RangeInclusive<u16>) -> Self {
        RtpError::InvalidPortRange {
            start: *range.start(),
            end: *range.end(),
        }
    }
}
