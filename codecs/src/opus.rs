//! Opus (RFC 6716) for RTP (RFC 7587), through libopus (the `opus` crate).
//!
//! The RTP clock of Opus is always 48 kHz, whatever rate the PCM has: libopus encodes and
//! decodes PCM at 8, 12, 16, 24 or 48 kHz directly, so an 8 kHz media loop needs no resampler
//! (the RTP timestamp still advances by 960 per 20 ms). SDP signals `opus/48000/2`, but voxgate
//! encodes mono and decodes every packet, mono or stereo, to mono.
//!
//! Defaults suit a voice bot: VOIP application, 24 kbit/s VBR, complexity 5, no in-band FEC and
//! no DTX (a continuous stream keeps carrier media timers and the recording simple).

use ::opus as libopus;

use crate::coder::{AudioDecoder, AudioEncoder};
use crate::{Codec, CodecError};

/// Largest payload the encoder may write for one frame (libopus's recommended bound).
const MAX_PACKET_BYTES: usize = 4000;

/// Longest Opus packet duration: 120 ms.
const MAX_PACKET_MS: u32 = 120;

/// Encoder settings. Start from [`OpusSettings::default`] and apply what the peer's `a=fmtp`
/// asks for (`maxaveragebitrate`, `useinbandfec`, `usedtx`, `cbr`, `maxplaybackrate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusSettings {
    /// Target bit rate in bit/s, 6,000 to 510,000.
    pub bitrate: u32,
    /// Encoder complexity 0 (cheapest) to 10 (best).
    pub complexity: u8,
    /// Constant instead of variable bit rate.
    pub constant_bitrate: bool,
    /// Send in-band forward error correction (LBRR) so the peer can rebuild a lost packet.
    pub inband_fec: bool,
    /// Packet loss in percent (0-100) the encoder plans FEC for.
    pub expected_loss_percent: u8,
    /// Discontinuous transmission: send almost nothing during silence.
    pub dtx: bool,
    /// Highest sample rate the peer wants to play back (its `maxplaybackrate`): caps the
    /// encoded audio bandwidth.
    pub max_playback_rate: u32,
}

impl Default for OpusSettings {
    fn default() -> Self {
        OpusSettings {
            bitrate: 24_000,
            complexity: 5,
            constant_bitrate: false,
            inband_fec: false,
            expected_loss_percent: 0,
            dtx: false,
            max_playback_rate: 48_000,
        }
    }
}

impl OpusSettings {
    fn validate(&self) -> Result<(), CodecError> {
        if !(6_000..=510_000).contains(&self.bitrate) {
            return Err(CodecError::InvalidSetting(
                "opus bitrate must be 6000 to 510000 bit/s",
            ));
        }
        if self.complexity > 10 {
            return Err(CodecError::InvalidSetting(
                "opus complexity must be 0 to 10",
            ));
        }
        if self.expected_loss_percent > 100 {
            return Err(CodecError::InvalidSetting(
                "opus expected loss must be 0 to 100 percent",
            ));
        }
        Ok(())
    }

    /// The audio bandwidth that a playback rate can reproduce.
    fn max_bandwidth(&self) -> libopus::Bandwidth {
        match self.max_playback_rate {
            0..=8_000 => libopus::Bandwidth::Narrowband,
            8_001..=12_000 => libopus::Bandwidth::Mediumband,
            12_001..=16_000 => libopus::Bandwidth::Wideband,
            16_001..=24_000 => libopus::Bandwidth::Superwideband,
            _ => libopus::Bandwidth::Fullband,
        }
    }
}

/// Whether libopus takes PCM at this rate.
fn check_sample_rate(sample_rate: u32) -> Result<(), CodecError> {
    match sample_rate {
        8_000 | 12_000 | 16_000 | 24_000 | 48_000 => Ok(()),
        _ => Err(CodecError::UnsupportedSampleRate {
            codec: Codec::Opus.name(),
            sample_rate,
        }),
    }
}

/// Whether `samples` at `sample_rate` is an Opus frame duration: 2.5, 5, 10, 20, 40, 60, 80,
/// 100 or 120 ms.
fn check_frame(samples: usize, sample_rate: u32) -> Result<(), CodecError> {
    let invalid = CodecError::InvalidFrameSize {
        samples,
        sample_rate,
    };
    // Count of 2.5 ms units; the rate is one of libopus's, so 2.5 ms is a whole sample count.
    let unit = (sample_rate / 400) as usize;
    if unit == 0 || !samples.is_multiple_of(unit) {
        return Err(invalid);
    }
    match samples / unit {
        1 | 2 | 4 | 8 | 16 | 24 | 32 | 40 | 48 => Ok(()),
        _ => Err(invalid),
    }
}

/// One call's Opus encoder: mono PCM frames in, one RTP payload per frame out.
pub struct OpusEncoder {
    encoder: libopus::Encoder,
    sample_rate: u32,
    packet: Box<[u8]>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder")
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// A mono VOIP encoder taking PCM at `sample_rate` (8, 12, 16, 24 or 48 kHz).
    pub fn new(sample_rate: u32, settings: &OpusSettings) -> Result<Self, CodecError> {
        check_sample_rate(sample_rate)?;
        settings.validate()?;
        let mut encoder = libopus::Encoder::new(
            sample_rate,
            libopus::Channels::Mono,
            libopus::Application::Voip,
        )?;
        // Ranges were checked above, so the casts cannot truncate.
        encoder.set_bitrate(libopus::Bitrate::Bits(settings.bitrate as i32))?;
        encoder.set_complexity(i32::from(settings.complexity))?;
        encoder.set_vbr(!settings.constant_bitrate)?;
        encoder.set_inband_fec(settings.inband_fec)?;
        encoder.set_packet_loss_perc(i32::from(settings.expected_loss_percent))?;
        encoder.set_dtx(settings.dtx)?;
        encoder.set_signal(libopus::Signal::Voice)?;
        encoder.set_max_bandwidth(settings.max_bandwidth())?;
        Ok(OpusEncoder {
            encoder,
            sample_rate,
            packet: vec![0; MAX_PACKET_BYTES].into_boxed_slice(),
        })
    }
}

impl AudioEncoder for OpusEncoder {
    fn codec(&self) -> Codec {
        Codec::Opus
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        check_frame(pcm.len(), self.sample_rate)?;
        let written = self.encoder.encode(pcm, &mut self.packet)?;
        out.extend_from_slice(self.packet.get(..written).unwrap_or_default());
        Ok(())
    }
}

/// One call's Opus decoder: payloads in, mono PCM out, with loss concealment and FEC recovery.
pub struct OpusDecoder {
    decoder: libopus::Decoder,
    sample_rate: u32,
    pcm: Box<[i16]>,
    /// Samples in the last decoded packet: the length of a concealment for an empty payload.
    last_packet_samples: usize,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder")
            .field("sample_rate", &self.sample_rate)
            .finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A mono decoder producing PCM at `sample_rate` (8, 12, 16, 24 or 48 kHz).
    pub fn new(sample_rate: u32) -> Result<Self, CodecError> {
        check_sample_rate(sample_rate)?;
        let decoder = libopus::Decoder::new(sample_rate, libopus::Channels::Mono)?;
        let max_samples = (sample_rate * MAX_PACKET_MS / 1000) as usize;
        Ok(OpusDecoder {
            decoder,
            sample_rate,
            pcm: vec![0; max_samples].into_boxed_slice(),
            last_packet_samples: (sample_rate / 50) as usize,
        })
    }

    /// Runs libopus on `payload` (empty: concealment) into the scratch buffer, producing
    /// `samples` samples, or as many as the packet holds when `samples` is `None`.
    fn run(
        &mut self,
        payload: &[u8],
        samples: Option<usize>,
        fec: bool,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        let room = match samples {
            Some(samples) => {
                check_frame(samples, self.sample_rate)?;
                self.pcm.get_mut(..samples).unwrap_or_default()
            }
            None => &mut self.pcm[..],
        };
        let decoded = self.decoder.decode(payload, room, fec)?;
        out.extend_from_slice(self.pcm.get(..decoded).unwrap_or_default());
        Ok(decoded)
    }
}

impl AudioDecoder for OpusDecoder {
    fn codec(&self) -> Codec {
        Codec::Opus
    }

    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Decodes one packet. An empty payload counts as a lost packet of the last duration.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return self.conceal(self.last_packet_samples, out);
        }
        let decoded = self.run(payload, None, false, out)?;
        self.last_packet_samples = decoded;
        Ok(decoded)
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        self.run(&[], Some(samples), false, out)
    }

    fn recover(
        &mut self,
        next_payload: &[u8],
        samples: usize,
        out: &mut Vec<i16>,
    ) -> Result<usize, CodecError> {
        self.run(next_payload, Some(samples), !next_payload.is_empty(), out)
    }

    fn reset(&mut self) {
        // Resetting a valid decoder state cannot fail in libopus; a failure would leave the
        // old history, which is harmless.
        let _ = self.decoder.reset_state();
        self.last_packet_samples = (self.sample_rate / 50) as usize;
    }
}
