//! Runs a detector over a clip and turns its output into one score per 10 ms frame.

use std::sync::Arc;

use voxgate_audio::vad::{
    SileroModel, SileroVad, VadError, VoiceActivityDetector, WebRtcVad, WebRtcVadMode,
};

use crate::FRAME_SAMPLES;
use crate::denoised::DenoisedInput;

/// The detectors compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detector {
    /// Silero VAD through tract on the line audio.
    Silero,
    /// Silero VAD on the output of voxgate's noise suppressor.
    SileroDenoised,
    /// The `webrtc-vad` crate in one of its modes.
    WebRtc(WebRtcVadMode),
}

impl Detector {
    /// Name for tables.
    pub fn name(self) -> String {
        match self {
            Self::Silero => "Silero (tract)".into(),
            Self::SileroDenoised => "Silero after noise suppression".into(),
            Self::WebRtc(mode) => format!("webrtc-vad mode {}", mode.number()),
        }
    }
}

/// A clip's scores per 10 ms frame, in two alignments.
#[derive(Clone, Debug, Default)]
pub struct FrameScores {
    /// Score of the detector chunk that contains the frame's midpoint: for frame-level metrics.
    pub aligned: Vec<f32>,
    /// Score of the latest chunk complete at the frame's end (0 before the first): what the
    /// endpointer sees live.
    pub causal: Vec<f32>,
}

/// Runs detectors on clips; holds the shared Silero model.
pub struct Scorer {
    model: Arc<SileroModel>,
}

impl Scorer {
    /// A scorer with the loaded Silero model.
    pub fn new(model: Arc<SileroModel>) -> Self {
        Self { model }
    }

    /// Scores `samples` (8 kHz) with a fresh instance of `detector`.
    pub fn score(
        &self,
        detector: Detector,
        samples: &[f32],
    ) -> Result<FrameScores, crate::EvalError> {
        let frames = samples.len() / FRAME_SAMPLES;
        match detector {
            Detector::Silero => {
                let mut vad = SileroVad::new(self.model.clone())?;
                Ok(spread(
                    &chunk_scores(&mut vad, samples)?,
                    vad.chunk_samples(),
                    frames,
                ))
            }
            Detector::SileroDenoised => {
                let mut vad = SileroVad::new(self.model.clone())?;
                let cleaned = DenoisedInput::new()?.process(samples);
                Ok(spread(
                    &chunk_scores(&mut vad, &cleaned)?,
                    vad.chunk_samples(),
                    frames,
                ))
            }
            Detector::WebRtc(mode) => {
                let mut vad = WebRtcVad::new(mode);
                let scores = samples
                    .chunks_exact(vad.chunk_samples())
                    .map(|frame| vad.process(frame))
                    .collect::<Result<Vec<f32>, VadError>>()?;
                Ok(FrameScores {
                    aligned: scores.clone(),
                    causal: scores,
                })
            }
        }
    }
}

fn chunk_scores(vad: &mut SileroVad, samples: &[f32]) -> Result<Vec<f32>, VadError> {
    samples
        .chunks_exact(vad.chunk_samples())
        .map(|chunk| vad.process(chunk))
        .collect()
}

/// Spreads per-chunk scores over 10 ms frames.
fn spread(chunks: &[f32], chunk_samples: usize, frames: usize) -> FrameScores {
    let last = chunks.len().saturating_sub(1);
    let at = |chunk: usize| chunks.get(chunk.min(last)).copied().unwrap_or(0.0);
    let aligned = (0..frames)
        .map(|frame| at((frame * FRAME_SAMPLES + FRAME_SAMPLES / 2) / chunk_samples))
        .collect();
    let causal = (0..frames)
        .map(
            |frame| match ((frame + 1) * FRAME_SAMPLES / chunk_samples).checked_sub(1) {
                Some(chunk) => at(chunk),
                None => 0.0,
            },
        )
        .collect();
    FrameScores { aligned, causal }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_scores_spread_over_frames() {
        // Chunks of 256 samples: 3.2 frames each.
        let spread = spread(&[0.1, 0.2, 0.3], 256, 10);
        assert_eq!(
            spread.aligned,
            [0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3]
        );
        assert_eq!(
            spread.causal,
            [0.0, 0.0, 0.0, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3]
        );
    }
}
