//! WAV and sample-rate plumbing shared by the adapters: decoding a provider's WAV (any rate,
//! any common sample format, mono or stereo) to 8 kHz mono, encoding an utterance as 16 kHz
//! WAV for a transcription endpoint, and whole-buffer resampling with the filter delay
//! removed.

use std::io::Cursor;

use voxgate_audio::resample::Resampler;

use crate::PCM_RATE;

/// Input samples the resampler takes per internal step.
const RESAMPLE_FRAME: usize = 4096;

/// Resamples a whole buffer from `from_hz` to `to_hz`, compensating the filter delay so that
/// the output is aligned with the input and `len * to_hz / from_hz` samples long (rounded).
pub(crate) fn resample(input: &[f32], from_hz: u32, to_hz: u32) -> Result<Vec<f32>, String> {
    if from_hz == to_hz {
        return Ok(input.to_vec());
    }
    let mut resampler = Resampler::new(from_hz, to_hz, RESAMPLE_FRAME)
        .map_err(|error| format!("cannot resample {from_hz} Hz to {to_hz} Hz: {error}"))?;
    let wanted =
        (input.len() as u64 * u64::from(to_hz) + u64::from(from_hz) / 2) / u64::from(from_hz);
    let wanted = usize::try_from(wanted).map_err(|_| "audio too long".to_string())?;
    let delay = resampler.delay_samples();
    // Input samples that push the delayed tail of the signal out of the filter.
    let flush = (delay as u64 * u64::from(from_hz)).div_ceil(u64::from(to_hz)) as usize + 2;
    let mut output = Vec::with_capacity(wanted + delay + 4);
    let mut piece = Vec::with_capacity(resampler.max_output_len(RESAMPLE_FRAME));
    for chunk in input.chunks(RESAMPLE_FRAME) {
        resampler.process(chunk, &mut piece);
        output.extend_from_slice(&piece);
    }
    resampler.process(&vec![0.0; flush], &mut piece);
    output.extend_from_slice(&piece);
    let mut aligned: Vec<f32> = output.into_iter().skip(delay).take(wanted).collect();
    aligned.resize(wanted, 0.0);
    Ok(aligned)
}

/// `i16` samples to `f32` in -1..1.
pub(crate) fn to_f32(samples: &[i16]) -> Vec<f32> {
    samples.iter().map(|&s| f32::from(s) / 32768.0).collect()
}

/// `f32` samples to `i16`, saturating.
pub(crate) fn to_i16(samples: &[f32]) -> Vec<i16> {
    samples
        .iter()
        .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

/// Encodes 8 kHz mono PCM as a 16 kHz mono 16-bit WAV file (what Whisper-class servers want).
pub(crate) fn utterance_wav_16k(audio_8k: &[i16]) -> Result<Vec<u8>, String> {
    let upsampled = to_i16(&resample(&to_f32(audio_8k), PCM_RATE, 16_000)?);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = Cursor::new(Vec::with_capacity(44 + upsampled.len() * 2));
    let mut writer = hound::WavWriter::new(&mut bytes, spec).map_err(|error| error.to_string())?;
    for sample in upsampled {
        writer
            .write_sample(sample)
            .map_err(|error| error.to_string())?;
    }
    writer.finalize().map_err(|error| error.to_string())?;
    Ok(bytes.into_inner())
}

/// Decodes a WAV file (8/16/24/32-bit integer or 32-bit float, any channel count) to mono
/// and resamples it to 8 kHz.
///
/// Streaming writers (`espeak-ng --stdout`, some TTS servers) put a placeholder length in
/// the RIFF and data headers; those lengths are corrected to what the buffer really holds.
pub(crate) fn decode_to_8k_mono(bytes: &[u8]) -> Result<Vec<i16>, String> {
    let mut bytes = bytes.to_vec();
    fix_streaming_lengths(&mut bytes);
    let reader =
        hound::WavReader::new(Cursor::new(bytes)).map_err(|error| format!("not a WAV: {error}"))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 || spec.sample_rate == 0 {
        return Err("WAV declares zero channels or a zero sample rate".into());
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|error| format!("bad WAV data: {error}"))?,
        (hound::SampleFormat::Int, bits @ 1..=32) => {
            let scale = (1u64 << (bits - 1)) as f32;
            reader
                .into_samples::<i32>()
                .map(|sample| sample.map(|s| s as f32 / scale))
                .collect::<Result<_, _>>()
                .map_err(|error| format!("bad WAV data: {error}"))?
        }
        (format, bits) => return Err(format!("unsupported WAV sample format {format:?}/{bits}")),
    };
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    Ok(to_i16(&resample(&mono, spec.sample_rate, PCM_RATE)?))
}

/// Rewrites placeholder RIFF/data chunk lengths (larger than the buffer) to the real ones.
fn fix_streaming_lengths(bytes: &mut [u8]) {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return;
    }
    let total = bytes.len();
    let riff_len = u32::try_from(total - 8).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&riff_len.to_le_bytes());
    let mut at = 12;
    let mut block_align = 1;
    while at + 8 <= total {
        let declared =
            u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
                as usize;
        let body = at + 8;
        if &bytes[at..at + 4] == b"fmt " && body + 14 <= total {
            block_align =
                usize::from(u16::from_le_bytes([bytes[body + 12], bytes[body + 13]])).max(1);
        }
        if &bytes[at..at + 4] == b"data" {
            if declared > total - body {
                let real = (total - body) / block_align * block_align;
                let real = u32::try_from(real).unwrap_or(u32::MAX);
                bytes[at + 4..at + 8].copy_from_slice(&real.to_le_bytes());
            }
            return;
        }
        at = body.saturating_add(declared).saturating_add(declared & 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f32, hz: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn resample_keeps_length_and_alignment() {
        let input = tone(22_050, 0.5, 440.0);
        let output = resample(&input, 22_050, 8_000).unwrap();
        assert_eq!(output.len(), 4000);
        // A 440 Hz tone survives with its amplitude (steady part, away from the edges).
        let peak = output[500..3500].iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((0.45..0.55).contains(&peak), "peak {peak}");
    }

    #[test]
    fn utterance_wav_is_16k_mono() {
        let wav = utterance_wav_16k(&[1000; 800]).unwrap();
        let reader = hound::WavReader::new(Cursor::new(wav)).unwrap();
        assert_eq!(reader.spec().sample_rate, 16_000);
        assert_eq!(reader.spec().channels, 1);
        assert_eq!(reader.len(), 1600);
    }

    #[test]
    fn streaming_header_is_repaired() {
        let mut wav = Vec::new();
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(Cursor::new(&mut wav), spec).unwrap();
        for _ in 0..3200 {
            writer.write_sample(8000i16).unwrap();
        }
        writer.finalize().unwrap();
        wav[4..8].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        wav[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        let decoded = decode_to_8k_mono(&wav).unwrap();
        assert_eq!(decoded.len(), 800);
        assert!((7000..9000).contains(&decoded[400]));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_to_8k_mono(b"definitely not audio").is_err());
        assert!(decode_to_8k_mono(b"RIFF\x04\x00\x00\x00WAVE").is_err());
    }
}
