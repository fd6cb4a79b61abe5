//! Baseline detector: the `webrtc-vad` crate (libfvad, the GMM VAD of WebRTC) at 8 kHz, 10 ms.
//!
//! It answers voice / no voice, so its "probability" is 0.0 or 1.0. It is cheap (about 1 µs per
//! 10 ms) but flags much noise as voice; voxgate uses it as the yardstick the neural detector must
//! beat, not as the decider.
//!
//! The crate's `Vad` holds a raw pointer to its C state and is therefore not `Send`; this
//! workspace forbids `unsafe`, so [`WebRtcVad`] cannot promise `Send` and does not implement
//! [`super::VoiceActivityDetector`]. It offers the same methods inherently, for evaluation on one
//! thread.

use super::VadError;

/// Samples per chunk: 10 ms at 8 kHz.
const CHUNK_SAMPLES: usize = 80;

/// How eagerly the detector rejects non-speech (the crate's modes 0-3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WebRtcVadMode {
    /// Mode 0: most likely to call a frame voice.
    #[default]
    Quality,
    /// Mode 1.
    LowBitrate,
    /// Mode 2.
    Aggressive,
    /// Mode 3: least likely to call a frame voice.
    VeryAggressive,
}

impl WebRtcVadMode {
    /// All modes, 0 to 3.
    pub const ALL: [Self; 4] = [
        Self::Quality,
        Self::LowBitrate,
        Self::Aggressive,
        Self::VeryAggressive,
    ];

    /// The mode's number, 0-3.
    pub fn number(self) -> u8 {
        match self {
            Self::Quality => 0,
            Self::LowBitrate => 1,
            Self::Aggressive => 2,
            Self::VeryAggressive => 3,
        }
    }

    fn to_crate(self) -> webrtc_vad::VadMode {
        match self {
            Self::Quality => webrtc_vad::VadMode::Quality,
            Self::LowBitrate => webrtc_vad::VadMode::LowBitrate,
            Self::Aggressive => webrtc_vad::VadMode::Aggressive,
            Self::VeryAggressive => webrtc_vad::VadMode::VeryAggressive,
        }
    }
}

/// The `webrtc-vad` detector for one stream at 8 kHz in 10 ms chunks.
pub struct WebRtcVad {
    vad: webrtc_vad::Vad,
    mode: WebRtcVadMode,
    pcm: [i16; CHUNK_SAMPLES],
}

impl std::fmt::Debug for WebRtcVad {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WebRtcVad")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl WebRtcVad {
    /// A detector in `mode`.
    pub fn new(mode: WebRtcVadMode) -> Self {
        let vad = webrtc_vad::Vad::new_with_rate_and_mode(
            webrtc_vad::SampleRate::Rate8kHz,
            mode.to_crate(),
        );
        Self {
            vad,
            mode,
            pcm: [0; CHUNK_SAMPLES],
        }
    }

    /// The configured mode.
    pub fn mode(&self) -> WebRtcVadMode {
        self.mode
    }

    /// Sample rate of the input: 8000 Hz.
    pub fn sample_rate(&self) -> u32 {
        8000
    }

    /// Samples per chunk: 80 (10 ms).
    pub fn chunk_samples(&self) -> usize {
        CHUNK_SAMPLES
    }

    /// 1.0 if the chunk of 80 samples in -1..1 holds voice, else 0.0.
    pub fn process(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        if chunk.len() != CHUNK_SAMPLES {
            return Err(VadError::ChunkLength {
                expected: CHUNK_SAMPLES,
                actual: chunk.len(),
            });
        }
        for (pcm, sample) in self.pcm.iter_mut().zip(chunk) {
            // Saturating float-to-int cast: out-of-range input clips instead of wrapping.
            *pcm = (sample * 32768.0) as i16;
        }
        match self.vad.is_voice_segment(&self.pcm) {
            Ok(true) => Ok(1.0),
            Ok(false) => Ok(0.0),
            Err(()) => Err(VadError::Inference(
                "webrtc-vad rejected an 80-sample frame".into(),
            )),
        }
    }

    /// Forgets the stream's history (noise estimates) and keeps the mode.
    pub fn reset(&mut self) {
        self.vad.reset();
        self.vad.set_mode(self.mode.to_crate());
    }
}
