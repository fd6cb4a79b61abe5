//! Per-call encoder and decoder objects: one of each per call, whatever the codec.
//!
//! G.711 keeps no state between frames, Opus does (prediction, packet-loss concealment), so the
//! media loop holds a `Box<dyn AudioEncoder>` and a `Box<dyn AudioDecoder>` made by
//! [`Codec::encoder`] and [`Codec::decoder`] for the whole call. Both append to caller-owned
//! buffers and allocate nothing per frame once those buffers have grown to a frame.

use crate::{Codec, CodecError, g711};

/// Turns one call's outbound PCM frames into RTP payloads.
pub trait AudioEncoder: Send {
    /// The codec this encoder produces.
    fn codec(&self) -> Codec;

    /// Sample rate in Hz of the PCM given to [`AudioEncoder::encode`].
    fn sample_rate(&self) -> u32;

    /// Encodes one frame of mono PCM into one RTP payload appended to `out`.
    ///
    /// On error `out` is left as it was.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;
}

/// Turns one call's inbound RTP payloads into PCM, and fills in for lost packets.
pub trait AudioDecoder: Send {
    /// The codec this decoder reads.
    fn codec(&self) -> Codec;

    /// Sample rate in Hz of the PCM it produces.
    fn sample_rate(&self) -> u32;

    /// Decodes one RTP payload, appending mono PCM to `out`; returns the samples appended.
    ///
    /// A corrupt payload is an error and leaves `out` as it was.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError>;

    /// Appends `samples` samples standing in for a lost packet (packet-loss concealment):
    /// an extrapolation of the recent signal for Opus, silence for G.711.
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> Result<usize, CodecError>;

    /// Appends `samples` samples standing in for a lost packet, using the redundancy that the
    /// packet after it (`next_payload`) carries, if the codec has any (Opus in-band FEC).
    /// Without redundancy this is [`AudioDecoder::conceal`]. Decode `next_payload` itself
    /// afterwards as usual.
    fn recover(
        &mut self,
        next_payload: &[u8],
        samples: usize,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        let _ = next_payload;
        self.conceal(samples, out)
    }

    /// Forgets all history, as for a new stream (e.g. after an SSRC change).
    fn reset(&mut self);
}

/// G.711 µ-law or A-law encoder: 8 kHz PCM, one byte per sample, no state.
#[derive(Debug, Clone, Copy)]
pub struct G711Encoder {
    codec: Codec,
}

/// G.711 µ-law or A-law decoder: one sample per byte, silence for lost packets.
#[derive(Debug, Clone, Copy)]
pub struct G711Decoder {
    codec: Codec,
}

/// Checks that `codec` is a G.711 variant and `sample_rate` is 8 kHz.
fn check_g711(codec: Codec, sample_rate: u32) -> Result<(), CodecError> {
    match codec {
        Codec::Pcmu | Codec::Pcma if sample_rate == 8000 => Ok(()),
        _ => Err(CodecError::UnsupportedSampleRate {
            codec: codec.name(),
            sample_rate,
        }),
    }
}

impl G711Encoder {
    /// An encoder for [`Codec::Pcmu`] or [`Codec::Pcma`] taking PCM at `sample_rate` (8000).
    pub fn new(codec: Codec, sample_rate: u32) -> Result<Self, CodecError> {
        check_g711(codec, sample_rate)?;
        Ok(G711Encoder { codec })
    }
}

impl G711Decoder {
    /// A decoder for [`Codec::Pcmu`] or [`Codec::Pcma`] producing PCM at `sample_rate` (8000).
    pub fn new(codec: Codec, sample_rate: u32) -> Result<Self, CodecError> {
        check_g711(codec, sample_rate)?;
        Ok(G711Decoder { codec })
    }
}

impl AudioEncoder for G711Encoder {
    fn codec(&self) -> Codec {
        self.codec
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self.codec {
            Codec::Pcma => g711::alaw_encode_frame(pcm, out),
            _ => g711::ulaw_encode_frame(pcm, out),
        }
        Ok(())
    }
}

impl AudioDecoder for G711Decoder {
    fn codec(&self) -> Codec {
        self.codec
    }

    fn sample_rate(&self) -> u32 {
        8000
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        match self.codec {
            Codec::Pcma => g711::alaw_decode_frame(payload, out),
            _ => g711::ulaw_decode_frame(payload, out),
        }
        Ok(payload.len())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        out.resize(out.len() + samples, 0);
        Ok(samples)
    }

    fn reset(&mut self) {}
}
