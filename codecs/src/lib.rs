//! Audio codecs for voxgate's media path.
//!
//! - [`g711`]: ITU-T G.711 µ-law (PCMU) and A-law (PCMA), table driven, bit-exact with the
//!   ITU-T G.191 reference implementation.
//! - [`opus`]: Opus (RFC 6716, RTP per RFC 7587) through libopus.
//! - [`telephone_event`]: RFC 4733 telephone-event payloads (DTMF digits).
//!
//! [`Codec`] is the small runtime switch the media loop uses: payload type, clock rate, name,
//! and per-call [`AudioEncoder`] / [`AudioDecoder`] objects ([`Codec::encoder`],
//! [`Codec::decoder`]) that work for every codec, stateless G.711 and stateful Opus alike.
//! They append to caller-owned buffers (no allocation once the buffer has grown to a frame).
//!
//! ```
//! use voxgate_codecs::{Codec, OpusSettings};
//!
//! let mut encoder = Codec::Opus.encoder(8000, &OpusSettings::default())?;
//! let mut decoder = Codec::Opus.decoder(8000)?;
//! let (mut payload, mut pcm) = (Vec::new(), Vec::new());
//! encoder.encode(&[0; 160], &mut payload)?; // 20 ms at 8 kHz; RTP timestamp += 960
//! assert_eq!(decoder.decode(&payload, &mut pcm)?, 160);
//! assert_eq!(decoder.conceal(160, &mut pcm)?, 160); // a lost packet
//! # Ok::<(), voxgate_codecs::CodecError>(())
//! ```

pub mod coder;
pub mod g711;
pub mod opus;
pub mod telephone_event;

mod error;

pub use coder::{AudioDecoder, AudioEncoder, G711Decoder, G711Encoder};
pub use error::CodecError;
pub use opus::{OpusDecoder, OpusEncoder, OpusSettings};

/// An audio codec negotiated in SDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// Opus, dynamic payload type (111 in our offers), 48 kHz RTP clock, `opus/48000/2`.
    Opus,
}

impl Codec {
    /// Every codec this crate implements, in default offer order (G.711 first).
    pub const ALL: [Codec; 3] = [Codec::Pcmu, Codec::Pcma, Codec::Opus];

    /// The payload type: the static one (RFC 3551) for G.711, the one voxgate offers (111)
    /// for Opus. A dynamic codec's real payload type is whatever SDP negotiated.
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
            Codec::Opus => 111,
        }
    }

    /// The static RTP payload type (RFC 3551), if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::Opus => None,
        }
    }

    /// The RTP clock rate in Hz (48,000 for Opus whatever the PCM rate).
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Pcmu | Codec::Pcma => 8000,
            Codec::Opus => 48_000,
        }
    }

    /// The channel count written in SDP `a=rtpmap` (2 for Opus per RFC 7587, which still
    /// carries mono here).
    pub fn sdp_channels(self) -> u8 {
        match self {
            Codec::Pcmu | Codec::Pcma => 1,
            Codec::Opus => 2,
        }
    }

    /// The encoding name as written in SDP `a=rtpmap` (e.g. `PCMU`, `opus`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::Opus => "opus",
        }
    }

    /// The codec with this static payload type, if any (never a dynamic codec).
    pub fn from_payload_type(payload_type: u8) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.static_payload_type() == Some(payload_type))
    }

    /// The codec with this SDP encoding name (case-insensitive), if any.
    pub fn from_name(name: &str) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|codec| codec.name().eq_ignore_ascii_case(name))
    }

    /// Whether the codec keeps no state between frames, so that the one-shot
    /// [`Codec::encode`] / [`Codec::decode`] are valid for it (G.711: yes, Opus: no).
    pub fn is_stateless(self) -> bool {
        matches!(self, Codec::Pcmu | Codec::Pcma)
    }

    /// A per-call encoder taking mono PCM at `sample_rate` (8 kHz for G.711; 8, 12, 16, 24
    /// or 48 kHz for Opus). `opus` configures Opus and is ignored by G.711.
    pub fn encoder(
        self,
        sample_rate: u32,
        opus: &OpusSettings,
    ) -> Result<Box<dyn AudioEncoder>, CodecError> {
        Ok(match self {
            Codec::Pcmu | Codec::Pcma => Box::new(G711Encoder::new(self, sample_rate)?),
            Codec::Opus => Box::new(OpusEncoder::new(sample_rate, opus)?),
        })
    }

    /// A per-call decoder producing mono PCM at `sample_rate` (as for [`Codec::encoder`]).
    pub fn decoder(self, sample_rate: u32) -> Result<Box<dyn AudioDecoder>, CodecError> {
        Ok(match self {
            Codec::Pcmu | Codec::Pcma => Box::new(G711Decoder::new(self, sample_rate)?),
            Codec::Opus => Box::new(OpusDecoder::new(sample_rate)?),
        })
    }

    /// The encoded byte of a zero sample (digital silence) for G.711. Opus has no silence
    /// byte: this returns 0 for it; encode a frame of zeros with an [`AudioEncoder`] instead.
    pub fn silence_byte(self) -> u8 {
        match self {
            Codec::Pcmu => g711::ulaw_encode(0),
            Codec::Pcma => g711::alaw_encode(0),
            Codec::Opus => 0,
        }
    }

    /// Encodes 16-bit linear PCM at 8 kHz with a stateless codec, appending one byte per
    /// sample to `out`. Appends nothing for a stateful codec ([`Codec::is_stateless`] is
    /// false: Opus); use a per-call [`Codec::encoder`] for those.
    pub fn encode(self, pcm: &[i16], out: &mut Vec<u8>) {
        match self {
            Codec::Pcmu => g711::ulaw_encode_frame(pcm, out),
            Codec::Pcma => g711::alaw_encode_frame(pcm, out),
            Codec::Opus => {}
        }
    }

    /// Decodes a stateless codec's payload, appending one 16-bit sample per byte to `out`.
    /// Appends nothing for a stateful codec (Opus); use a per-call [`Codec::decoder`].
    pub fn decode(self, payload: &[u8], out: &mut Vec<i16>) {
        match self {
            Codec::Pcmu => g711::ulaw_decode_frame(payload, out),
            Codec::Pcma => g711::alaw_decode_frame(payload, out),
            Codec::Opus => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_types_and_names() {
        assert_eq!(Codec::Pcmu.payload_type(), 0);
        assert_eq!(Codec::Pcma.payload_type(), 8);
        assert_eq!(Codec::Opus.payload_type(), 111);
        assert_eq!(Codec::Opus.static_payload_type(), None);
        assert_eq!(Codec::Pcmu.clock_rate(), 8000);
        assert_eq!(Codec::Opus.clock_rate(), 48_000);
        assert_eq!(Codec::Opus.sdp_channels(), 2);
        assert_eq!(Codec::Pcma.name(), "PCMA");
        assert_eq!(Codec::from_payload_type(8), Some(Codec::Pcma));
        assert_eq!(Codec::from_payload_type(18), None);
        assert_eq!(
            Codec::from_payload_type(111),
            None,
            "dynamic types need SDP"
        );
        assert_eq!(Codec::from_name("pcmu"), Some(Codec::Pcmu));
        assert_eq!(Codec::from_name("OPUS"), Some(Codec::Opus));
        assert_eq!(Codec::from_name("G729"), None);
    }

    #[test]
    fn frame_encode_decode_appends() {
        for codec in Codec::ALL.into_iter().filter(|c| c.is_stateless()) {
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
    fn stateful_codec_is_not_one_shot() {
        assert!(!Codec::Opus.is_stateless());
        let mut out = Vec::new();
        Codec::Opus.encode(&[0; 160], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn silence_bytes() {
        assert_eq!(Codec::Pcmu.silence_byte(), 0xFF);
        assert_eq!(Codec::Pcma.silence_byte(), 0xD5);
    }
}
