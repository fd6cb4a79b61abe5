//! Noise suppression: the [`NoiseSuppressor`] trait and its WebRTC implementations.
//!
//! Two implementations of the same WebRTC suppressor (from `libwebrtc-audio-processing` 0.3, the
//! library `webrtc-audio-processing` 0.5 links):
//!
//! - [`WebRtcSuppressor`], the default: the suppressor's own C API at 8 or 16 kHz through
//!   `voxgate-webrtc-ns`, plus a high-pass filter here. At 8 kHz it needs no resampling, costs
//!   about 6 µs per 10 ms frame and delays the audio by 6 ms.
//! - [`WebRtcApmSuppressor`]: the whole audio processing module through the
//!   `webrtc-audio-processing` crate, which only runs at 48 kHz. Same suppression (measured
//!   within 0.5 dB), but about 30 µs per frame spent mostly in the module's band-splitting
//!   filters, plus 8k <-> 48k resampling (about 9 µs) and 7 ms more delay. Kept as a reference
//!   and for 48 kHz sources.
//!
//! Measured on espeak-ng speech plus white noise (level `High`, high-pass on): noise drops by
//! 16-18 dB at SNRs of 20 to 0 dB, speech frames lose 0.3 dB at 20 dB SNR, 1 dB at 10 dB and 2.3
//! dB at 5 dB; clean speech passes unchanged (0.0 dB). The numbers and commands are in
//! `benches/RESULTS.md` ("Noise suppression"); the conformance tests in
//! `denoise/conformance.rs` hold every implementation to them with margin.

#[cfg(test)]
mod conformance;

use serde::{Deserialize, Serialize};
use voxgate_webrtc_ns::{NoiseSuppressorCore, NsError, Policy};
use webrtc_audio_processing as apm;

/// A noise suppressor working in place on fixed 10 ms frames at one rate.
pub trait NoiseSuppressor: Send {
    /// Rate of the frames it takes, in Hz.
    fn sample_rate(&self) -> u32;
    /// Samples per frame (10 ms at [`Self::sample_rate`]).
    fn frame_samples(&self) -> usize;
    /// Suppresses noise in one frame of samples in -1..1, in place.
    ///
    /// # Panics
    /// If `frame.len() != self.frame_samples()` (a bug in the caller, not a property of input).
    fn process(&mut self, frame: &mut [f32]);
}

/// How hard the suppressor works: more suppression, more speech distortion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionLevel {
    /// About 6 dB less stationary noise.
    Low,
    /// About 12 dB.
    Moderate,
    /// About 17 dB, speech within 1 dB at 10 dB SNR. The default.
    #[default]
    High,
    /// About 20 dB, a little more speech loss at low SNR.
    VeryHigh,
}

/// Settings of a noise suppressor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuppressorConfig {
    /// How hard to suppress.
    pub level: SuppressionLevel,
    /// Remove DC and rumble below about 100 Hz before suppressing.
    pub high_pass_filter: bool,
}

impl Default for SuppressorConfig {
    fn default() -> Self {
        Self {
            level: SuppressionLevel::High,
            high_pass_filter: true,
        }
    }
}

/// Why a suppressor cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenoiseError {
    /// The native suppressor refused the rate or could not be created.
    #[error(transparent)]
    Native(#[from] NsError),
    /// The 48 kHz audio processing module could not be created.
    #[error("webrtc audio processing module: {0}")]
    Apm(String),
}

/// The WebRTC suppressor at 8 or 16 kHz (see the module docs): the default implementation.
#[derive(Debug)]
pub struct WebRtcSuppressor {
    sample_rate: u32,
    core: NoiseSuppressorCore,
    high_pass: Option<HighPassFilter>,
}

impl WebRtcSuppressor {
    /// Delay the suppressor adds, in samples at its rate (its analysis window minus one frame).
    pub const fn delay_samples(sample_rate: u32) -> usize {
        if sample_rate == 16_000 { 96 } else { 48 }
    }

    /// Builds a suppressor for `sample_rate` (8000 or 16000 Hz).
    pub fn new(sample_rate: u32, config: SuppressorConfig) -> Result<Self, DenoiseError> {
        let policy = match config.level {
            SuppressionLevel::Low => Policy::Mild,
            SuppressionLevel::Moderate => Policy::Medium,
            SuppressionLevel::High => Policy::Aggressive,
            SuppressionLevel::VeryHigh => Policy::VeryAggressive,
        };
        Ok(Self {
            sample_rate,
            core: NoiseSuppressorCore::new(sample_rate, policy)?,
            high_pass: config
                .high_pass_filter
                .then(|| HighPassFilter::new(sample_rate)),
        })
    }

    /// The suppressor's own speech probability for the last frame, 0..1 (a crude VAD).
    pub fn speech_probability(&self) -> f32 {
        self.core.speech_probability()
    }
}

impl NoiseSuppressor for WebRtcSuppressor {
    fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    fn frame_samples(&self) -> usize {
        self.core.frame_samples()
    }

    fn process(&mut self, frame: &mut [f32]) {
        assert_eq!(frame.len(), self.core.frame_samples(), "frame length");
        if let Some(filter) = &mut self.high_pass {
            filter.process(frame);
        }
        self.core.process(frame);
    }
}

/// The WebRTC audio processing module at 48 kHz through `webrtc-audio-processing` 0.5.
///
/// That crate's safe API collects one pointer vector per frame, so this implementation does
/// allocate (8 bytes) on every frame; avoiding it would need `unsafe`, which this crate forbids.
pub struct WebRtcApmSuppressor {
    processor: apm::Processor,
    failed_frames: u64,
}

impl std::fmt::Debug for WebRtcApmSuppressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcApmSuppressor")
            .field("failed_frames", &self.failed_frames)
            .finish_non_exhaustive()
    }
}

impl WebRtcApmSuppressor {
    /// The only rate the crate supports.
    pub const SAMPLE_RATE: u32 = 48_000;
    /// Delay it adds at 48 kHz: the suppressor's 6 ms plus the band-splitting filters.
    pub const DELAY_SAMPLES: usize = 336;

    /// Builds one module (one per call) with only noise suppression and the high-pass filter.
    pub fn new(config: SuppressorConfig) -> Result<Self, DenoiseError> {
        let mut processor = apm::Processor::new(&apm::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..Default::default()
        })
        .map_err(|error| DenoiseError::Apm(error.to_string()))?;
        let suppression_level = match config.level {
            SuppressionLevel::Low => apm::NoiseSuppressionLevel::Low,
            SuppressionLevel::Moderate => apm::NoiseSuppressionLevel::Moderate,
            SuppressionLevel::High => apm::NoiseSuppressionLevel::High,
            SuppressionLevel::VeryHigh => apm::NoiseSuppressionLevel::VeryHigh,
        };
        processor.set_config(apm::Config {
            noise_suppression: Some(apm::NoiseSuppression { suppression_level }),
            enable_high_pass_filter: config.high_pass_filter,
            ..Default::default()
        });
        Ok(Self {
            processor,
            failed_frames: 0,
        })
    }

    /// Frames the module refused (left unchanged). Zero unless the library is broken.
    pub fn failed_frames(&self) -> u64 {
        self.failed_frames
    }
}

impl NoiseSuppressor for WebRtcApmSuppressor {
    fn sample_rate(&self) -> u32 {
        Self::SAMPLE_RATE
    }

    fn frame_samples(&self) -> usize {
        apm::NUM_SAMPLES_PER_FRAME as usize
    }

    fn process(&mut self, frame: &mut [f32]) {
        assert_eq!(frame.len(), self.frame_samples(), "frame length");
        if self.processor.process_capture_frame(frame).is_err() {
            self.failed_frames += 1;
        }
    }
}

/// Second-order Butterworth high-pass at [`HighPassFilter::CUTOFF_HZ`] (RBJ biquad, transposed
/// direct form II with `f64` state, which stays accurate with poles this close to 1).
#[derive(Debug, Clone)]
struct HighPassFilter {
    b: [f64; 3],
    a: [f64; 2],
    state: [f64; 2],
}

impl HighPassFilter {
    const CUTOFF_HZ: f64 = 100.0;

    fn new(sample_rate: u32) -> Self {
        let omega = 2.0 * std::f64::consts::PI * Self::CUTOFF_HZ / f64::from(sample_rate);
        let alpha = omega.sin() / (2.0 * std::f64::consts::FRAC_1_SQRT_2);
        let cos = omega.cos();
        let a0 = 1.0 + alpha;
        let b0 = (1.0 + cos) / 2.0 / a0;
        Self {
            b: [b0, -2.0 * b0, b0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            state: [0.0; 2],
        }
    }

    fn process(&mut self, frame: &mut [f32]) {
        let [b0, b1, b2] = self.b;
        let [a1, a2] = self.a;
        let [mut s1, mut s2] = self.state;
        for sample in frame.iter_mut() {
            let x = f64::from(*sample);
            let y = b0 * x + s1;
            s1 = b1 * x - a1 * y + s2;
            s2 = b2 * x - a2 * y;
            *sample = y as f32;
        }
        self.state = [s1, s2];
    }
}
