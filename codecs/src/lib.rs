//! Audio codecs for voxgate's media path.
//!
//! - [`g711`]: ITU-T G.711 µ-law (PCMU) and A-law (PCMA), table driven, bit-exact with the
//!   ITU-T G.191 reference implementation.
//! - [`telephone_event`]: RFC 4733 telephone-event payloads (DTMF digits).
//!
//! [`Codec`] is the small runtime switch the media loop uses: payload type, clock rate, name and
//! whole-frame encode/decode that append to a caller-owned buffer (no allocation once the
//! buffer has grown to a frame).

pub mod g711;
pub mod telephone_event;

mod error;

pub use error::CodecError;

/// An audio codec negotiated in SDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// Every codec this crate implements, in default offer order.
    pub const ALL: [Codec; 2] = [Codec::Pcmu, Codec::Pcma];

    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The RTP clock rate in Hz.
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
        }
    }

    /// The encoding name as written in SDP `a=rtpmap` (e.g. `PCMU`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The codec with this static payload type, if any.
    pub fn from_payload_type(payload_type: u8) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.payload_type() == payload_type)
    }

    /// The codec with this SDP encoding name (case-insensitive), if any.
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.name().eq_ignore_ascii_case(name))
    }

    /// The encoded byte of a zero sample (digital silence), for filling frames.
    pub fn silence_byte(self) -> u8 {
        match self {
            Codec::Pcmu => g711::ulaw_encode(0),
            Codec::Pcma => g711::alaw_encode(0),
        }
    }

    /// Encodes 16-bit linear PCM samples, appending one byte per sample to `out`.
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        match self {
            Codec::Pcmu => g711::ulaw_encode_frame(pcm, out),
            Codec::Pcma => g711::alaw_encode_frame(pcm, out),
        }
    }

    /// Decodes a codec payload, appending one 16-bit sample per byte to `out`.
    pub fn decode(self, payload: &[u8], out: &mut Vec<i16>) {
        match self {
            Codec::Pcmu => g711::ulaw_decode_frame(payload, out),
            Codec::Pcma => g711::alaw_decode_frame(payload, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_payload_types_and_names() {
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::Pcmu.clock_rate(), 8000);
        assert_eq!(Codec::Pcma.name(), "PCMA");
        assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_payload_type(18), None);
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::from_name("opus"), None);
    }

    #[test]
    fn frame_encode_decode_appends() {
        for codec in Codec::ALL {
            let pcm: Vec<i16> = (0..160).map(|i| (i * 200 - 16000) as i16).collect();
            let mut encoded = vec![0xAA];
            codec.encode(&pcm, &mut encoded);
            assert_eq!(encoded.len(), 161);
            assert_eq!(encoded[0], 0xAA);
            let mut decoded = vec![7];
            codec.decode(&encoded[1..], &mut decoded);
            assert_eq!(decoded.len(), 161);
            assert_eq!(decoded[0], 7);
            for (original, round_trip) in pcm.iter().zip(&decoded[1..]) {
                let error = (i32::from(*original) - i32::from(*round_trip)).abs();
                assert!(error <= 512, "{codec:?}: {original} -> {round_trip}");
            }
        }
    }

    #[test]
    fn silence_bytes() {
        assert_eq!(Codec::Pcmu.silence_byte(), 0xFF);
        assert_eq!(Codec::Pcma.silence_byte(), 0xD5);
    }
}
