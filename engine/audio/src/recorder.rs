//! Stereo call recording as a 16-bit PCM WAV file: callee on the left, bot on the right, one
//! frame of each per media tick so both channels stay time-aligned. The bot channel should be
//! what was really sent (after mixing, cut where a barge-in stopped the prompt).
//!
//! The header is rewritten every `flush_every` frames (1 s of 20 ms frames by default), so a
//! crash leaves a playable file that misses at most the last second. [`StereoWavRecorder::finish`]
//! writes the final header; dropping an unfinished recorder does the same as a best effort.
//!
//! Pure I/O through `Write + Seek`: tests use a `Cursor`, the server a buffered `File`.

use std::io::{Seek, SeekFrom, Write};

use crate::AudioError;

/// Size of the canonical 44-byte WAV header.
const HEADER_BYTES: u32 = 44;
/// Bytes per stereo sample pair.
const BYTES_PER_PAIR: u32 = 4;
/// Header rewrite interval by default: 50 frames (1 s of 20 ms frames).
pub const DEFAULT_FLUSH_EVERY_FRAMES: u32 = 50;

/// Writes a stereo WAV file while the call runs.
#[derive(Debug)]
pub struct StereoWavRecorder<W: Write + Seek> {
    writer: Option<W>,
    sample_rate: u32,
    data_bytes: u32,
    frames_since_flush: u32,
    flush_every: u32,
    scratch: Vec<u8>,
}

impl<W: Write + Seek> StereoWavRecorder<W> {
    /// Starts a recording at `sample_rate` (8000 for G.711 calls) into `writer`, which should
    /// be empty and positioned at its start.
    pub fn new(mut writer: W, sample_rate: u32) -> Result<Self, AudioError> {
        if sample_rate == 0 {
            return Err(AudioError::InvalidConfig(
                "recording sample rate must be above zero".to_string(),
            ));
        }
        writer.write_all(&header(sample_rate, 0))?;
        let frame_bytes = (sample_rate as usize / 50) * BYTES_PER_PAIR as usize;
        Ok(Self {
            writer: Some(writer),
            sample_rate,
            data_bytes: 0,
            frames_since_flush: 0,
            flush_every: DEFAULT_FLUSH_EVERY_FRAMES,
            scratch: Vec::with_capacity(frame_bytes),
        })
    }

    /// Rewrites the header every `frames` frames instead (at least 1).
    pub fn with_flush_every(mut self, frames: u32) -> Self {
        self.flush_every = frames.max(1);
        self
    }

    /// The recording's sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The underlying writer, until [`StereoWavRecorder::finish`].
    pub fn writer(&self) -> Option<&W> {
        self.writer.as_ref()
    }

    /// Samples written per channel so far.
    pub fn samples_per_channel(&self) -> u32 {
        self.data_bytes / BYTES_PER_PAIR
    }

    /// Appends one frame: `callee` on the left, `bot` on the right. If one side is shorter it
    /// is padded with silence, so the channels never drift apart.
    pub fn write_frame(&mut self, callee: &[i16], bot: &[i16]) -> Result<(), AudioError> {
        let pairs = callee.len().max(bot.len());
        let bytes = u32::try_from(pairs)
            .ok()
            .and_then(|pairs| pairs.checked_mul(BYTES_PER_PAIR))
            .filter(|&bytes| {
                u64::from(self.data_bytes) + u64::from(bytes) + u64::from(HEADER_BYTES)
                    <= u64::from(u32::MAX)
            })
            .ok_or(AudioError::RecordingTooLong)?;
        let writer = self.writer.as_mut().ok_or_else(finished_error)?;
        self.scratch.clear();
        for index in 0..pairs {
            let left = callee.get(index).copied().unwrap_or(0);
            let right = bot.get(index).copied().unwrap_or(0);
            self.scratch.extend_from_slice(&left.to_le_bytes());
            self.scratch.extend_from_slice(&right.to_le_bytes());
        }
        writer.write_all(&self.scratch)?;
        self.data_bytes += bytes;
        self.frames_since_flush += 1;
        if self.frames_since_flush >= self.flush_every {
            self.flush()?;
        }
        Ok(())
    }

    /// Rewrites the header with the current length and flushes the writer.
    pub fn flush(&mut self) -> Result<(), AudioError> {
        let writer = self.writer.as_mut().ok_or_else(finished_error)?;
        writer.seek(SeekFrom::Start(0))?;
        writer.write_all(&header(self.sample_rate, self.data_bytes))?;
        writer.seek(SeekFrom::Start(
            u64::from(HEADER_BYTES) + u64::from(self.data_bytes),
        ))?;
        writer.flush()?;
        self.frames_since_flush = 0;
        Ok(())
    }

    /// Writes the final header and hands the writer back.
    pub fn finish(mut self) -> Result<W, AudioError> {
        self.flush()?;
        self.writer.take().ok_or_else(finished_error)
    }
}

impl<W: Write + Seek> Drop for StereoWavRecorder<W> {
    fn drop(&mut self) {
        if self.writer.is_some() {
            // Best effort on an end path that skipped `finish`: nobody is left to report to.
            let _ = self.flush();
        }
    }
}

fn finished_error() -> AudioError {
    AudioError::Io(std::io::Error::other("recording already finished"))
}

/// The 44-byte header of a 16-bit stereo PCM WAV file with `data_bytes` of samples.
fn header(sample_rate: u32, data_bytes: u32) -> [u8; HEADER_BYTES as usize] {
    let channels: u16 = 2;
    let bits: u16 = 16;
    let block_align = channels * bits / 8;
    let byte_rate = sample_rate.saturating_mul(u32::from(block_align));
    let mut out = [0u8; HEADER_BYTES as usize];
    let fields: [&[u8]; 13] = [
        b"RIFF",
        &(36 + data_bytes).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &channels.to_le_bytes(),
        &sample_rate.to_le_bytes(),
        &byte_rate.to_le_bytes(),
        &block_align.to_le_bytes(),
        &bits.to_le_bytes(),
        b"data",
        &data_bytes.to_le_bytes(),
        &[],
    ];
    let mut at = 0;
    for field in fields {
        out[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    out
}
