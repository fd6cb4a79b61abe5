//! Fakes shared by the front-end tests: a VAD that calls loud chunks speech and a
//! pass-through noise suppressor, so every rule can be checked to the frame.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use voxgate_audio::denoise::NoiseSuppressor;
use voxgate_audio::vad::{VadError, VoiceActivityDetector};

/// Speech probability 1 for a chunk whose peak exceeds 0.05, else 0.
pub struct LoudnessVad {
    pub rate: u32,
    pub chunk: usize,
    /// Every `fail_every`-th chunk returns an error (0: never).
    pub fail_every: usize,
    pub chunks: usize,
}

impl LoudnessVad {
    pub fn new(rate: u32, chunk: usize) -> Self {
        Self {
            rate,
            chunk,
            fail_every: 0,
            chunks: 0,
        }
    }
}

impl VoiceActivityDetector for LoudnessVad {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn chunk_samples(&self) -> usize {
        self.chunk
    }

    fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        if chunk.len() != self.chunk {
            return Err(VadError::ChunkLength {
                expected: self.chunk,
                actual: chunk.len(),
            });
        }
        self.chunks += 1;
        if self.fail_every > 0 && self.chunks.is_multiple_of(self.fail_every) {
            return Err(VadError::Inference("scripted failure".to_string()));
        }
        let peak = chunk.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        Ok(if peak > 0.05 { 1.0 } else { 0.0 })
    }

    fn reset(&mut self) {}
}

/// Leaves frames untouched and counts them.
pub struct PassThrough {
    pub rate: u32,
    pub frames: Arc<AtomicUsize>,
}

impl NoiseSuppressor for PassThrough {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn frame_samples(&self) -> usize {
        self.rate as usize / 100
    }

    fn process(&mut self, frame: &mut [f32]) {
        assert_eq!(frame.len(), self.frame_samples());
        self.frames.fetch_add(1, Ordering::Relaxed);
    }
}

/// `frames` 10 ms frames at `rate`: a 400 Hz cosine of `amplitude` (0..1) where `speech`
/// says so, silence elsewhere.
pub fn signal(
    rate: u32,
    frames: usize,
    speech: impl Fn(usize) -> bool,
    amplitude: f32,
) -> Vec<i16> {
    let per_frame = rate as usize / 100;
    (0..frames * per_frame)
        .map(|i| {
            if speech(i / per_frame) {
                let t = i as f32 / rate as f32;
                (amplitude * 32_767.0 * (2.0 * std::f32::consts::PI * 400.0 * t).cos()) as i16
            } else {
                0
            }
        })
        .collect()
}

pub fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / samples.len().max(1) as f64).sqrt()
}
