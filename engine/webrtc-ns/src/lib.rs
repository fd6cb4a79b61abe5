//! `voxgate-webrtc-ns`: a safe binding to the WebRTC noise suppressor at 8 and 16 kHz.
//!
//! `webrtc-audio-processing` 0.5 (the Rust crate) hard-codes 48 kHz: its C++ wrapper builds
//! every stream at 48 kHz with 480-sample frames, and at that rate the audio processing module
//! spends most of its time in the three-band splitting filter bank (about 28 of 40 µs per 10 ms
//! frame here). The noise suppressor inside it is the classic WebRTC `WebRtcNs_*` C module,
//! which runs natively on 10 ms frames at 8 or 16 kHz, and the library that crate links
//! (`libwebrtc-audio-processing` 0.3, from Debian or its `bundled` build) exports that C API.
//! This crate calls it directly: same algorithm, same suppression, about 7x cheaper at 8 kHz,
//! and no resampling.
//!
//! This is the only crate of the audio path with `unsafe` code; every block says why it holds.

use std::ptr::NonNull;

use thiserror::Error;
// Linked only for its native library, which exports the `WebRtcNs_*` symbols declared below.
use webrtc_audio_processing_sys as _;

/// Opaque `NsHandle` of the C API.
#[repr(C)]
struct NsHandle {
    _private: [u8; 0],
}

// Declarations from `webrtc/modules/audio_processing/ns/include/noise_suppression.h` of
// webrtc-audio-processing 0.3 (the copy bundled in webrtc-audio-processing-sys 0.5.0).
unsafe extern "C" {
    fn WebRtcNs_Create() -> *mut NsHandle;
    fn WebRtcNs_Free(handle: *mut NsHandle);
    fn WebRtcNs_Init(handle: *mut NsHandle, fs: u32) -> i32;
    fn WebRtcNs_set_policy(handle: *mut NsHandle, mode: i32) -> i32;
    fn WebRtcNs_Analyze(handle: *mut NsHandle, frame: *const f32);
    fn WebRtcNs_Process(
        handle: *mut NsHandle,
        input: *const *const f32,
        num_bands: usize,
        output: *const *mut f32,
    );
    fn WebRtcNs_prior_speech_probability(handle: *mut NsHandle) -> f32;
}

/// How hard the suppressor works: more suppression, more speech distortion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// Mild (about 6 dB less stationary noise).
    Mild,
    /// Medium (about 12 dB).
    Medium,
    /// Aggressive (about 17 dB).
    Aggressive,
    /// Very aggressive (about 20 dB).
    VeryAggressive,
}

impl Policy {
    fn mode(self) -> i32 {
        match self {
            Self::Mild => 0,
            Self::Medium => 1,
            Self::Aggressive => 2,
            Self::VeryAggressive => 3,
        }
    }
}

/// Why a [`NoiseSuppressorCore`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NsError {
    /// Only 8000 and 16000 Hz run as a single band.
    #[error("noise suppression runs at 8000 or 16000 Hz, not {0} Hz")]
    UnsupportedRate(u32),
    /// The C library returned no instance (out of memory).
    #[error("WebRtcNs_Create failed")]
    CreateFailed,
    /// The C library refused the rate or the policy.
    #[error("WebRtcNs_{0} failed")]
    InitFailed(&'static str),
}

/// One noise suppressor instance (one per call), working on 10 ms frames in place.
#[derive(Debug)]
pub struct NoiseSuppressorCore {
    handle: NonNull<NsHandle>,
    /// The frame scaled to the 16-bit range the C code expects.
    scaled_in: Vec<f32>,
    scaled_out: Vec<f32>,
}

// SAFETY: the instance is plain heap memory owned by this value; the C functions keep no
// thread-local or global state, so moving it to another thread is sound. It is not `Sync`.
unsafe impl Send for NoiseSuppressorCore {}

impl NoiseSuppressorCore {
    /// Creates and initialises an instance for `sample_rate` (8000 or 16000) and `policy`.
    pub fn new(sample_rate: u32, policy: Policy) -> Result<Self, NsError> {
        if sample_rate != 8_000 && sample_rate != 16_000 {
            return Err(NsError::UnsupportedRate(sample_rate));
        }
        // SAFETY: no arguments; returns an owned instance or null.
        let raw = unsafe { WebRtcNs_Create() };
        let handle = NonNull::new(raw).ok_or(NsError::CreateFailed)?;
        let frame = sample_rate as usize / 100;
        // Built before the checks below so that Drop frees the instance on every error path.
        let core = Self {
            handle,
            scaled_in: vec![0.0; frame],
            scaled_out: vec![0.0; frame],
        };
        // SAFETY: `handle` is a live instance from WebRtcNs_Create.
        if unsafe { WebRtcNs_Init(core.handle.as_ptr(), sample_rate) } != 0 {
            return Err(NsError::InitFailed("Init"));
        }
        // SAFETY: as above, and the instance is initialised.
        if unsafe { WebRtcNs_set_policy(core.handle.as_ptr(), policy.mode()) } != 0 {
            return Err(NsError::InitFailed("set_policy"));
        }
        Ok(core)
    }

    /// Samples per 10 ms frame: 80 at 8 kHz, 160 at 16 kHz.
    pub fn frame_samples(&self) -> usize {
        self.scaled_in.len()
    }

    /// Suppresses noise in one frame of samples in -1..1, in place.
    ///
    /// # Panics
    /// If `frame.len() != self.frame_samples()`: the C code reads and writes exactly one frame,
    /// so a wrong length is a bug in the caller, never a property of network input.
    pub fn process(&mut self, frame: &mut [f32]) {
        assert_eq!(frame.len(), self.frame_samples(), "frame length");
        for (scaled, &sample) in self.scaled_in.iter_mut().zip(frame.iter()) {
            *scaled = sample * 32_768.0;
        }
        let input = [self.scaled_in.as_ptr()];
        let output = [self.scaled_out.as_mut_ptr()];
        // SAFETY: the instance is initialised; `scaled_in` and `scaled_out` hold exactly the
        // 10 ms frame (80 or 160 samples) that WebRtcNs_Init's rate implies, and one band is
        // passed, so the C code reads and writes within both buffers.
        unsafe {
            WebRtcNs_Analyze(self.handle.as_ptr(), self.scaled_in.as_ptr());
            WebRtcNs_Process(self.handle.as_ptr(), input.as_ptr(), 1, output.as_ptr());
        }
        for (sample, &scaled) in frame.iter_mut().zip(self.scaled_out.iter()) {
            *sample = scaled / 32_768.0;
        }
    }

    /// The suppressor's prior speech probability for the last frame, 0..1.
    pub fn speech_probability(&self) -> f32 {
        // SAFETY: the instance is initialised; the call only reads it.
        unsafe { WebRtcNs_prior_speech_probability(self.handle.as_ptr()) }
    }
}

impl Drop for NoiseSuppressorCore {
    fn drop(&mut self) {
        // SAFETY: the handle came from WebRtcNs_Create and is freed exactly once, here.
        unsafe { WebRtcNs_Free(self.handle.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.1
            })
            .collect()
    }

    fn energy(samples: &[f32]) -> f32 {
        samples.iter().map(|s| s * s).sum()
    }

    #[test]
    fn only_single_band_rates_are_accepted() {
        for rate in [8_000, 16_000] {
            let core = NoiseSuppressorCore::new(rate, Policy::Aggressive).unwrap();
            assert_eq!(core.frame_samples(), rate as usize / 100);
        }
        for rate in [0, 11_025, 32_000, 48_000] {
            assert_eq!(
                NoiseSuppressorCore::new(rate, Policy::Mild).unwrap_err(),
                NsError::UnsupportedRate(rate)
            );
        }
    }

    #[test]
    fn stationary_noise_is_attenuated_more_with_a_stronger_policy() {
        let input = noise(8_000 * 3, 1);
        let mut attenuation_db = Vec::new();
        for policy in [Policy::Mild, Policy::Aggressive, Policy::VeryAggressive] {
            let mut core = NoiseSuppressorCore::new(8_000, policy).unwrap();
            let mut output = input.clone();
            output
                .chunks_exact_mut(80)
                .for_each(|frame| core.process(frame));
            // The last second, after the noise estimate has settled.
            let tail = 8_000 * 2;
            let db = 10.0 * (energy(&input[tail..]) / energy(&output[tail..])).log10();
            attenuation_db.push(db);
            assert!((0.0..=1.0).contains(&core.speech_probability()));
        }
        assert!(attenuation_db[0] > 4.0, "{attenuation_db:?}");
        assert!(
            attenuation_db.windows(2).all(|w| w[1] > w[0] + 2.0),
            "{attenuation_db:?}"
        );
    }

    #[test]
    #[should_panic(expected = "frame length")]
    fn a_wrong_frame_length_is_a_caller_bug() {
        let mut core = NoiseSuppressorCore::new(16_000, Policy::Medium).unwrap();
        core.process(&mut [0.0; 80]);
    }
}
