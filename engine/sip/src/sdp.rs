//! SDP (RFC 4566) for audio calls and the offer/answer model (RFC 3264).
//!
//! [`SessionDescription::parse`] reads any SDP leniently (LF or CRLF, unknown lines kept) and
//! its `Display` writes CRLF lines. [`create_offer`], [`create_answer`] and
//! [`negotiated_from_answer`] do the audio negotiation for G.711, Opus (`opus/48000/2`,
//! RFC 7587) and RFC 4733 telephone-events.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use voxgate_sip::sdp::{AudioCodec, LocalMedia, create_answer, create_offer};
//!
//! let local = |port| LocalMedia {
//!     address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
//!     port,
//!     codecs: vec![AudioCodec::Pcma, AudioCodec::Pcmu],
//!     telephone_event: true,
//!     ptime: 20,
//!     session_id: 1,
//!     session_version: 1,
//! };
//! let offer = create_offer(&local(40000));
//! let (answer, media) = create_answer(&offer, &local(50000))?;
//! assert_eq!(media.codec, AudioCodec::Pcma);
//! assert_eq!(media.remote_rtp.map(|a| a.port()), Some(40000));
//! assert!(answer.to_string().contains("m=audio 50000 RTP/AVP 8 101\r\n"));
//! # Ok::<(), voxgate_sip::sdp::SdpError>(())
//! ```

mod description;
mod negotiate;
mod opus_parameters;
mod print;

pub use description::{MediaDescription, Origin, RtpMap, SessionDescription};
pub use negotiate::{
    AudioCodec, LocalMedia, NegotiatedMedia, TelephoneEventFormat, create_answer, create_offer,
    negotiated_from_answer,
};
pub use opus_parameters::{LOCAL_OPUS_PARAMETERS, OpusParameters};

/// Why an SDP body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    /// A line does not parse (1-based line number).
    #[error("SDP line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A mandatory line (`v=` or `o=`) is absent.
    #[error("SDP has no {0}= line")]
    MissingLine(char),
    /// A connection address that is not an IP address (e.g. a host name).
    #[error("unsupported connection address {0}")]
    UnsupportedAddress(String),
    /// No usable RTP/AVP audio stream (answer `488 Not Acceptable Here`).
    #[error("no usable audio stream")]
    NoAudioStream,
    /// The audio stream offers no codec we support (answer `488 Not Acceptable Here`).
    #[error("no common codec")]
    NoCommonCodec,
}

/// Media direction attribute (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// `a=sendrecv` (the default).
    #[default]
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The direction seen from the other side: send-only becomes receive-only and vice versa.
    pub fn mirror(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        }
    }

    /// Whether media flows out in this direction.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether media flows in in this direction.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction that sends and receives as told.
    pub fn from_flags(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Only what both directions allow.
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_flags(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }

    /// The attribute name (`sendrecv`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named by an attribute, if it is one.
    pub fn from_attribute(name: &str) -> Option<Direction> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::*;
    use super::*;

    #[test]
    fn mirror_swaps_one_way_directions() {
        assert_eq!(SendOnly.mirror(), RecvOnly);
        assert_eq!(RecvOnly.mirror(), SendOnly);
        assert_eq!(SendRecv.mirror(), SendRecv);
        assert_eq!(Inactive.mirror(), Inactive);
    }

    #[test]
    fn intersect_keeps_what_both_allow() {
        assert_eq!(SendRecv.intersect(RecvOnly), RecvOnly);
        assert_eq!(SendOnly.intersect(RecvOnly), Inactive);
        assert_eq!(SendRecv.intersect(SendRecv), SendRecv);
    }

    #[test]
    fn attribute_names_round_trip() {
        for direction in [SendRecv, SendOnly, RecvOnly, Inactive] {
            assert_eq!(
                Direction::from_attribute(direction.as_str()),
                Some(direction)
            );
        }
        assert_eq!(Direction::from_attribute("rtcp-mux"), None);
    }
}
