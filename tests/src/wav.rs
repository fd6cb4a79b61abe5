//! WAV reading, energy measurements and generated test audio.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::error::{HarnessError, Result};

/// A WAV file's samples, per channel, as `f32` in -1.0..=1.0.
#[derive(Debug, Clone, PartialEq)]
pub struct Wav {
    /// Samples per second.
    pub sample_rate: u32,
    /// One vector per channel (left, right, ...), all the same length.
    pub channels: Vec<Vec<f32>>,
}

/// RMS level (about -40 dBFS) above which a window counts as "audio": G.711 speech from
/// espeak-ng measures about 0.09, digital silence through G.711 about 0.0001.
pub const ENERGY_THRESHOLD: f32 = 0.01;

/// Window length for [`Wav::has_energy_between`] and [`Wav::is_silent_between`].
pub const ENERGY_WINDOW: Duration = Duration::from_millis(50);

impl Wav {
    /// Reads a PCM (8-32 bit integer) or float WAV, mono or multi-channel. A data chunk that
    /// claims more bytes than the file holds (linphonec writes such headers, and so does any
    /// recorder that has not closed its file yet) is read up to the end of the file.
    pub fn read(path: impl AsRef<Path>) -> Result<Wav> {
        let path = path.as_ref();
        let wav_error = |source| HarnessError::Wav {
            path: path.to_path_buf(),
            source,
        };
        let bytes = std::fs::read(path).map_err(|e| wav_error(hound::Error::IoError(e)))?;
        let bytes = clamp_data_chunk(bytes);
        let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes)).map_err(wav_error)?;
        let spec = reader.spec();
        let interleaved: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
            hound::SampleFormat::Int => {
                let scale = 1.0 / (1_i64 << (spec.bits_per_sample.max(1) - 1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()
            }
        }
        .map_err(wav_error)?;
        let count = usize::from(spec.channels.max(1));
        let channels = (0..count)
            .map(|c| interleaved.iter().skip(c).step_by(count).copied().collect())
            .collect();
        Ok(Wav {
            sample_rate: spec.sample_rate,
            channels,
        })
    }

    /// Reads a WAV that a peer may still be finishing: retries every 50 ms until it parses
    /// with at least one frame (peers fix the header only when they close the file, a moment
    /// after they report the call ended), or returns the last error after `timeout`.
    pub fn read_complete(path: impl AsRef<Path>, timeout: Duration) -> Result<Wav> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let attempt = Wav::read(&path);
            let complete = matches!(&attempt, Ok(wav) if !wav.channel(0).is_empty());
            if complete || std::time::Instant::now() >= deadline {
                return attempt;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Writes mono 16-bit PCM.
    pub fn write_mono(path: impl AsRef<Path>, sample_rate: u32, samples: &[f32]) -> Result<()> {
        let path = path.as_ref();
        let wav_error = |source| HarnessError::Wav {
            path: path.to_path_buf(),
            source,
        };
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).map_err(wav_error)?;
        for &sample in samples {
            let value = (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16;
            writer.write_sample(value).map_err(wav_error)?;
        }
        writer.finalize().map_err(wav_error)
    }

    /// Length in time.
    pub fn duration(&self) -> Duration {
        let frames = self.channels.first().map_or(0, Vec::len);
        Duration::from_secs_f64(frames as f64 / f64::from(self.sample_rate.max(1)))
    }

    /// The samples of one channel (0 = left/mono), empty if there is no such channel.
    pub fn channel(&self, channel: usize) -> &[f32] {
        self.channels.get(channel).map_or(&[], Vec::as_slice)
    }

    /// RMS of `channel` between `from` and `to` (clamped to the file; 0.0 if empty).
    pub fn rms(&self, channel: usize, from: Duration, to: Duration) -> f32 {
        let samples = self.channel(channel);
        let start = self.index(from).min(samples.len());
        let end = self.index(to).clamp(start, samples.len());
        rms(&samples[start..end])
    }

    /// RMS of consecutive `window`-long slices of `channel` (the last one may be shorter).
    pub fn rms_windows(&self, channel: usize, window: Duration) -> Vec<f32> {
        let size = self.index(window).max(1);
        self.channel(channel).chunks(size).map(rms).collect()
    }

    /// Whether some [`ENERGY_WINDOW`] between `from` and `to` has an RMS of at least
    /// `threshold` (use [`ENERGY_THRESHOLD`] for "someone is talking").
    pub fn has_energy_between(
        &self,
        channel: usize,
        from: Duration,
        to: Duration,
        threshold: f32,
    ) -> bool {
        self.windows_between(channel, from, to)
            .any(|level| level >= threshold)
    }

    /// Whether every [`ENERGY_WINDOW`] between `from` and `to` stays below `threshold`.
    /// A range beyond the end of the file is silent.
    pub fn is_silent_between(
        &self,
        channel: usize,
        from: Duration,
        to: Duration,
        threshold: f32,
    ) -> bool {
        self.windows_between(channel, from, to)
            .all(|level| level < threshold)
    }

    /// Start time of the first [`ENERGY_WINDOW`] with an RMS of at least `threshold`.
    pub fn first_energy(&self, channel: usize, threshold: f32) -> Option<Duration> {
        self.rms_windows(channel, ENERGY_WINDOW)
            .iter()
            .position(|&level| level >= threshold)
            .map(|i| ENERGY_WINDOW * i as u32)
    }

    fn windows_between(
        &self,
        channel: usize,
        from: Duration,
        to: Duration,
    ) -> impl Iterator<Item = f32> + '_ {
        let samples = self.channel(channel);
        let start = self.index(from).min(samples.len());
        let end = self.index(to).clamp(start, samples.len());
        let size = self.index(ENERGY_WINDOW).max(1);
        samples[start..end].chunks(size).map(rms)
    }

    fn index(&self, at: Duration) -> usize {
        (at.as_secs_f64() * f64::from(self.sample_rate)).round() as usize
    }
}

/// Shrinks the `data` chunk's declared size (and the RIFF size) to what the file really holds,
/// rounded down to whole 4-byte groups of samples so every frame is complete for 8/16/32-bit
/// mono and stereo. Files that do not look like RIFF/WAVE are returned unchanged.
fn clamp_data_chunk(mut bytes: Vec<u8>) -> Vec<u8> {
    if bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return bytes;
    }
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        if &header[0..4] == b"data" {
            let available = bytes.len() - (at + 8);
            if size > available {
                let clamped = (available - available % 4) as u32;
                bytes[at + 4..at + 8].copy_from_slice(&clamped.to_le_bytes());
                bytes.truncate(at + 8 + clamped as usize);
                let riff = (bytes.len() - 8) as u32;
                bytes[4..8].copy_from_slice(&riff.to_le_bytes());
            }
            break;
        }
        at += 8 + size + size % 2;
    }
    bytes
}

fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt() as f32
}

/// Writes a mono 16-bit sine tone (amplitude 0.0-1.0).
pub fn write_tone(
    path: impl AsRef<Path>,
    frequency_hz: f32,
    duration: Duration,
    sample_rate: u32,
    amplitude: f32,
) -> Result<()> {
    let count = (duration.as_secs_f64() * f64::from(sample_rate)).round() as usize;
    let step = std::f32::consts::TAU * frequency_hz / sample_rate as f32;
    let samples: Vec<f32> = (0..count)
        .map(|i| amplitude * (step * i as f32).sin())
        .collect();
    Wav::write_mono(path, sample_rate, &samples)
}

/// Writes mono 16-bit digital silence.
pub fn write_silence(path: impl AsRef<Path>, duration: Duration, sample_rate: u32) -> Result<()> {
    let count = (duration.as_secs_f64() * f64::from(sample_rate)).round() as usize;
    Wav::write_mono(path, sample_rate, &vec![0.0; count])
}

/// Synthesises `text` with espeak-ng (`voice` e.g. `en`, `cmn`; `None` for the default) and
/// converts it with sox to 8 kHz mono 16-bit, the format every peer here plays.
pub fn write_speech(path: impl AsRef<Path>, text: &str, voice: Option<&str>) -> Result<()> {
    let path = path.as_ref();
    let raw = path.with_extension("espeak.wav");
    let mut espeak = Command::new("espeak-ng");
    espeak.arg("-w").arg(&raw);
    if let Some(voice) = voice {
        espeak.args(["-v", voice]);
    }
    espeak.arg("--").arg(text);
    run_tool("espeak-ng", espeak)?;
    let mut sox = Command::new("sox");
    sox.arg(&raw)
        .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(path);
    let converted = run_tool("sox", sox);
    let _ = std::fs::remove_file(&raw);
    converted
}

/// Copies the mono WAV `input` to `output`, followed by `silence` of digital silence. Handy
/// because baresip hangs up as soon as its input WAV ends.
pub fn append_silence(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    silence: Duration,
) -> Result<()> {
    let wav = Wav::read(input)?;
    let mut samples = wav.channel(0).to_vec();
    let extra = (silence.as_secs_f64() * f64::from(wav.sample_rate)).round() as usize;
    samples.resize(samples.len() + extra, 0.0);
    Wav::write_mono(output, wav.sample_rate, &samples)
}

fn run_tool(tool: &'static str, mut command: Command) -> Result<()> {
    let output = command
        .output()
        .map_err(|e| HarnessError::io(format!("running {tool}"), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(HarnessError::Peer {
            peer: tool,
            detail: format!(
                "{command:?} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn tone_then_silence_measures_as_such() {
        let dir = TempDir::new("wav").unwrap();
        let tone = dir.join("tone.wav");
        write_tone(&tone, 440.0, MS(1000), 8000, 0.5).unwrap();
        let padded = dir.join("padded.wav");
        append_silence(&tone, &padded, MS(500)).unwrap();

        let wav = Wav::read(&padded).unwrap();
        assert_eq!(wav.sample_rate, 8000);
        assert_eq!(wav.channels.len(), 1);
        assert_eq!(wav.duration(), MS(1500));
        let level = wav.rms(0, MS(0), MS(1000));
        assert!((level - 0.5 / 2f32.sqrt()).abs() < 0.01, "tone rms {level}");
        assert!(wav.has_energy_between(0, MS(100), MS(900), ENERGY_THRESHOLD));
        assert!(wav.is_silent_between(0, MS(1000), MS(1500), ENERGY_THRESHOLD));
        assert!(!wav.is_silent_between(0, MS(900), MS(1100), ENERGY_THRESHOLD));
        assert_eq!(wav.first_energy(0, ENERGY_THRESHOLD), Some(MS(0)));
        assert_eq!(wav.rms_windows(0, MS(500)).len(), 3);
        assert_eq!(wav.rms(0, MS(2000), MS(3000)), 0.0);
    }

    #[test]
    fn reads_stereo_channels_separately() {
        let dir = TempDir::new("wav").unwrap();
        let path = dir.join("stereo.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(&path, spec).unwrap();
        for i in 0..8000 {
            writer.write_sample(0_i16).unwrap();
            writer
                .write_sample(if i % 2 == 0 { 16384_i16 } else { -16384 })
                .unwrap();
        }
        writer.finalize().unwrap();

        let wav = Wav::read(&path).unwrap();
        assert_eq!(wav.channels.len(), 2);
        assert!(wav.is_silent_between(0, MS(0), MS(1000), ENERGY_THRESHOLD));
        assert!((wav.rms(1, MS(0), MS(1000)) - 0.5).abs() < 1e-3);
        assert_eq!(wav.first_energy(0, ENERGY_THRESHOLD), None);
        assert!(wav.channel(5).is_empty());
    }

    #[test]
    fn reads_files_whose_header_claims_too_much_data() {
        let dir = TempDir::new("wav").unwrap();
        let path = dir.join("short.wav");
        write_tone(&path, 440.0, MS(100), 8000, 0.5).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        // What linphonec leaves: sizes larger than the file (here: 32 bytes too many).
        let data_size = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) + 32;
        bytes[40..44].copy_from_slice(&data_size.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        assert!(
            hound::WavReader::open(&path).is_ok_and(|mut r| r.samples::<i16>().any(|s| s.is_err()))
        );

        let wav = Wav::read(&path).unwrap();
        assert_eq!(wav.duration(), MS(100));
    }

    #[test]
    fn missing_file_is_an_error_naming_it() {
        let err = Wav::read("/nonexistent/voxgate.wav").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/voxgate.wav"));
    }
}
