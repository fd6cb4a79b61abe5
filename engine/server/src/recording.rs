//! Stereo call recordings: callee on the left, bot on the right, one 20 ms frame of each per
//! media tick, so both channels stay time-aligned.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Flush the WAV header every this many frames (5 s) so a crash leaves a playable file.
const FLUSH_EVERY_FRAMES: u32 = 250;

/// A recording being written while the call runs.
pub struct StereoRecorder {
    writer: hound::WavWriter<BufWriter<File>>,
    frames: u32,
}

impl StereoRecorder {
    /// Create the file (and its folder).
    pub fn create(path: &Path) -> Result<Self, hound::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: crate::prompt::RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        Ok(Self {
            writer: hound::WavWriter::create(path, spec)?,
            frames: 0,
        })
    }

    /// Append one frame: what the callee sent (left) and what we sent (right), same length.
    pub fn write_frame(&mut self, callee: &[i16], bot: &[i16]) -> Result<(), hound::Error> {
        for (l, r) in callee.iter().zip(bot) {
            self.writer.write_sample(*l)?;
            self.writer.write_sample(*r)?;
        }
        self.frames += 1;
        if self.frames.is_multiple_of(FLUSH_EVERY_FRAMES) {
            self.writer.flush()?;
        }
        Ok(())
    }

    /// Write the final header.
    pub fn finish(self) -> Result<(), hound::Error> {
        self.writer.finalize()
    }
}
