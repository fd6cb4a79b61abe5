//! The audio Silero hears when noise suppression is on: voxgate's default suppressor
//! ([`WebRtcSuppressor`] at 8 kHz, default settings) over the whole clip, its delay removed so
//! frame labels still line up.

use voxgate_audio::denoise::{NoiseSuppressor, SuppressorConfig, WebRtcSuppressor};

use crate::{EvalError, SAMPLE_RATE};

/// Runs the default noise suppressor over clips.
pub struct DenoisedInput {
    suppressor: WebRtcSuppressor,
}

impl DenoisedInput {
    /// A fresh suppressor (noise estimate at zero), as at the start of a call.
    pub fn new() -> Result<Self, EvalError> {
        let suppressor = WebRtcSuppressor::new(SAMPLE_RATE, SuppressorConfig::default())
            .map_err(|error| EvalError::NoiseSuppression(error.to_string()))?;
        Ok(Self { suppressor })
    }

    /// `samples` after noise suppression, advanced by the suppressor's delay (the tail is
    /// flushed with silence), same length.
    pub fn process(mut self, samples: &[f32]) -> Vec<f32> {
        let frame = self.suppressor.frame_samples();
        let delay = WebRtcSuppressor::delay_samples(SAMPLE_RATE);
        let whole = (samples.len() + delay).div_ceil(frame) * frame;
        let mut out = samples.to_vec();
        out.resize(whole, 0.0);
        for chunk in out.chunks_exact_mut(frame) {
            self.suppressor.process(chunk);
        }
        out.drain(..delay.min(out.len()));
        out.truncate(samples.len());
        out
    }
}
