//! Prompt files: decoded once into 8 kHz mono PCM and shared by every call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Sample rate of the telephone audio path.
pub const RATE: u32 = 8000;

/// Why a prompt could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The file could not be read or is not a WAV we understand.
    #[error("prompt {path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// The decoder's complaint.
        source: hound::Error,
    },
}

/// Decoded prompts by path.
#[derive(Default)]
pub struct PromptCache {
    prompts: Mutex<HashMap<PathBuf, Arc<[i16]>>>,
}

impl PromptCache {
    /// The prompt at `path`, decoding it on first use.
    pub fn get(&self, path: &Path) -> Result<Arc<[i16]>, PromptError> {
        if let Some(p) = self
            .prompts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(path)
        {
            return Ok(p.clone());
        }
        let pcm: Arc<[i16]> = load_wav(path)?.into();
        self.prompts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_owned(), pcm.clone());
        Ok(pcm)
    }
}

/// Read a WAV file (PCM or float, any rate, any channel count) as 8 kHz mono.
pub fn load_wav(path: &Path) -> Result<Vec<i16>, PromptError> {
    let wav_err = |source| PromptError::Wav {
        path: path.to_owned(),
        source,
    };
    let mut reader = hound::WavReader::open(path).map_err(wav_err)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(wav_err)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(wav_err)?
        }
    };
    let mono: Vec<f32> = samples
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / frame.len() as f32)
        .collect();
    Ok(resample_to_8k(&mono, spec.sample_rate)
        .into_iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16)
        .collect())
}

/// Resample by averaging each output interval (a box low-pass) when going down, and by linear
/// interpolation when going up. Good enough for prompts; the audio issue brings a proper resampler.
fn resample_to_8k(input: &[f32], rate: u32) -> Vec<f32> {
    if rate == RATE || input.is_empty() {
        return input.to_vec();
    }
    let step = f64::from(rate) / f64::from(RATE);
    let out_len = (input.len() as f64 / step).floor() as usize;
    (0..out_len)
        .map(|i| {
            let start = i as f64 * step;
            if step > 1.0 {
                let (a, b) = (start as usize, ((start + step) as usize).min(input.len()));
                let window = &input[a..b.max(a + 1).min(input.len())];
                window.iter().sum::<f32>() / window.len() as f32
            } else {
                let a = start as usize;
                let frac = (start - a as f64) as f32;
                let next = input.get(a + 1).copied().unwrap_or(input[a]);
                input[a] * (1.0 - frac) + next * frac
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_duration_and_level() {
        let input: Vec<f32> = vec![0.5; 48_000];
        let out = resample_to_8k(&input, 48_000);
        assert_eq!(out.len(), 8_000);
        assert!(out.iter().all(|s| (s - 0.5).abs() < 1e-6));
    }

    #[test]
    fn upsampling_interpolates() {
        let out = resample_to_8k(&[0.0, 1.0, 0.0, 1.0], 4_000);
        assert_eq!(out.len(), 8);
        assert!((out[1] - 0.5).abs() < 1e-6);
    }

    #[test]
    fn stereo_16k_wav_loads_as_8k_mono() {
        let dir = std::env::temp_dir().join(format!("voxgate-prompt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("p.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        for _ in 0..16_000 {
            w.write_sample(8000i16).expect("write");
            w.write_sample(-8000i16).expect("write");
        }
        w.finalize().expect("finalize");
        let pcm = load_wav(&path).expect("load");
        assert_eq!(pcm.len(), 8_000);
        assert!(pcm.iter().all(|s| s.abs() <= 1));
        assert!(
            PromptCache::default()
                .get(&dir.join("missing.wav"))
                .is_err()
        );
    }
}
