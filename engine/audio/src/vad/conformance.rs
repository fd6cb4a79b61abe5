//! One conformance suite run against every detector (Silero and the webrtc-vad baseline).

use super::test_support::{model, speech_8k};
use super::{SileroVad, VadError, VoiceActivityDetector, WebRtcVad, WebRtcVadMode};

/// What the suite needs of a detector; [`WebRtcVad`] is not `Send`, so it cannot be a
/// [`VoiceActivityDetector`] trait object, but it has the same methods.
trait Detector {
    fn rate(&self) -> u32;
    fn chunk(&self) -> usize;
    fn score(&mut self, chunk: &[f32]) -> Result<f32, VadError>;
    fn restart(&mut self);
}

impl Detector for SileroVad {
    fn rate(&self) -> u32 {
        self.sample_rate()
    }
    fn chunk(&self) -> usize {
        self.chunk_samples()
    }
    fn score(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        self.process(chunk)
    }
    fn restart(&mut self) {
        self.reset();
    }
}

impl Detector for WebRtcVad {
    fn rate(&self) -> u32 {
        self.sample_rate()
    }
    fn chunk(&self) -> usize {
        self.chunk_samples()
    }
    fn score(&mut self, chunk: &[f32]) -> Result<f32, VadError> {
        self.process(chunk)
    }
    fn restart(&mut self) {
        self.reset();
    }
}

fn scores(detector: &mut dyn Detector, samples: &[f32]) -> Vec<f32> {
    let chunk = detector.chunk();
    samples
        .chunks_exact(chunk)
        .map(|chunk| detector.score(chunk).expect("score"))
        .collect()
}

/// Every detector: 8 kHz, rejects wrong chunk sizes, scores in 0..1, silence is not speech,
/// speech is, and reset replays identically.
fn conforms(detector: &mut dyn Detector) {
    assert_eq!(detector.rate(), 8000);
    let chunk = detector.chunk();
    for wrong in [0, chunk - 1, chunk + 1] {
        let error = detector.score(&vec![0.0; wrong]).unwrap_err();
        assert!(matches!(error, VadError::ChunkLength { .. }), "{error:?}");
    }
    let silence = scores(detector, &vec![0.0; 8000]);
    assert!(silence.iter().all(|&p| p < 0.5), "silence: {silence:?}");

    let Some(speech) = speech_8k(
        "We are calling to confirm your delivery address today.",
        "en",
    ) else {
        return;
    };
    detector.restart();
    let first = scores(detector, &speech);
    assert!(first.iter().all(|p| (0.0..=1.0).contains(p)), "{first:?}");
    let voiced = first.iter().filter(|&&p| p >= 0.5).count();
    assert!(
        voiced * 2 > first.len(),
        "speech: {voiced}/{} chunks voiced",
        first.len()
    );
    detector.restart();
    assert_eq!(
        first,
        scores(detector, &speech),
        "reset must replay identically"
    );
}

#[test]
fn silero_conforms() {
    let Some(model) = model() else { return };
    conforms(&mut SileroVad::new(model).expect("detector"));
}

#[test]
fn webrtc_vad_conforms_in_every_mode() {
    for mode in WebRtcVadMode::ALL {
        conforms(&mut WebRtcVad::new(mode));
    }
}
