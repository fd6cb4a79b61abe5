//! One conformance suite run against every [`NoiseSuppressor`] implementation.
//!
//! The signal is what a call delivers: 8 kHz speech (espeak-ng, English then Mandarin, in
//! `fixtures/speech_en_zh_8k.s16le`, made with `espeak-ng -w` and `sox -r 8000`, 2.2 s of each)
//! plus white noise, resampled to the suppressor's rate. Frame labels come from the clean speech.
//!
//! Thresholds, measured on this fixture with the three implementations, plus margin: at 10 dB
//! SNR and level `High`, stationary noise drops by more than [`MIN_NOISE_REDUCTION_DB`]
//! (measured 16.5-16.7 dB) while speech frames keep their energy within
//! [`MAX_SPEECH_CHANGE_DB`] (measured -1.4 to -1.6 dB); clean speech keeps it within
//! [`MAX_CLEAN_CHANGE_DB`] (measured -0.6 dB at 8 kHz, -1.4 dB at 16 and 48 kHz: the quiet ends
//! of syllables are taken for noise). See `benches/RESULTS.md`, "Noise suppression".

use super::*;
use crate::resample::Resampler;

const MIN_NOISE_REDUCTION_DB: f64 = 12.0;
const MAX_SPEECH_CHANGE_DB: f64 = 2.5;
const MAX_CLEAN_CHANGE_DB: f64 = 2.0;

struct Implementation {
    name: &'static str,
    make: fn(SuppressorConfig) -> Box<dyn NoiseSuppressor>,
    /// Delay the implementation documents, in samples at its rate.
    delay: usize,
}

fn implementations() -> [Implementation; 3] {
    [
        Implementation {
            name: "webrtc 8 kHz",
            make: |config| Box::new(WebRtcSuppressor::new(8_000, config).unwrap()),
            delay: WebRtcSuppressor::delay_samples(8_000),
        },
        Implementation {
            name: "webrtc 16 kHz",
            make: |config| Box::new(WebRtcSuppressor::new(16_000, config).unwrap()),
            delay: WebRtcSuppressor::delay_samples(16_000),
        },
        Implementation {
            name: "webrtc apm 48 kHz",
            make: |config| Box::new(WebRtcApmSuppressor::new(config).unwrap()),
            delay: WebRtcApmSuppressor::DELAY_SAMPLES,
        },
    ]
}

fn speech_8k() -> Vec<f32> {
    include_bytes!("fixtures/speech_en_zh_8k.s16le")
        .chunks_exact(2)
        .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32_768.0)
        .collect()
}

/// Seeded Gaussian white noise of unit power.
fn white_noise(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..len)
        .map(|_| {
            let radius = (-2.0 * uniform().ln()).sqrt();
            (radius * (2.0 * std::f64::consts::PI * uniform()).cos()) as f32
        })
        .collect()
}

fn energy(samples: &[f32]) -> f64 {
    samples.iter().map(|&s| f64::from(s).powi(2)).sum()
}

fn to_rate(samples: &[f32], rate: u32) -> Vec<f32> {
    let mut resampler = Resampler::new(8_000, rate, samples.len()).unwrap();
    let mut out = Vec::new();
    resampler.process(samples, &mut out);
    out
}

fn run(suppressor: &mut dyn NoiseSuppressor, input: &[f32]) -> Vec<f32> {
    let mut output = input.to_vec();
    let frame = suppressor.frame_samples();
    output
        .chunks_exact_mut(frame)
        .for_each(|chunk| suppressor.process(chunk));
    output
}

/// A test signal at the suppressor's rate: 1 s of noise, the speech, 0.5 s of noise.
struct Scene {
    clean: Vec<f32>,
    noisy: Vec<f32>,
    frame: usize,
    speech_frames: Vec<bool>,
    silent_frames: Vec<bool>,
}

impl Scene {
    fn new(rate: u32, snr_db: Option<f64>) -> Self {
        let mut clean_8k = vec![0.0; 8_000];
        clean_8k.extend(speech_8k());
        clean_8k.extend([0.0; 4_000]);
        let frame_8k: Vec<f64> = clean_8k.chunks(80).map(energy).collect();
        let loudest = frame_8k.iter().copied().fold(0.0, f64::max);
        let speech_power = frame_8k
            .iter()
            .filter(|&&e| e > loudest * 1e-3)
            .sum::<f64>()
            / (80 * frame_8k.iter().filter(|&&e| e > loudest * 1e-3).count()) as f64;
        let gain = snr_db.map_or(0.0, |snr| (speech_power / 10f64.powf(snr / 10.0)).sqrt());
        let noise = white_noise(clean_8k.len(), 7);
        let noisy_8k: Vec<f32> = clean_8k
            .iter()
            .zip(&noise)
            .map(|(&s, &n)| s + gain as f32 * n)
            .collect();
        let clean = to_rate(&clean_8k, rate);
        let frame = rate as usize / 100;
        let energies: Vec<f64> = clean.chunks(frame).map(energy).collect();
        let loudest = energies.iter().copied().fold(0.0, f64::max);
        Self {
            noisy: to_rate(&noisy_8k, rate),
            frame,
            speech_frames: energies
                .iter()
                .map(|&e| e > loudest * 10f64.powf(-3.5))
                .collect(),
            silent_frames: energies.iter().map(|&e| e < loudest * 1e-6).collect(),
            clean,
        }
    }

    /// The lag (0..25 ms) at which `output` best matches the clean speech (its first second).
    fn delay_of(&self, output: &[f32]) -> usize {
        let second = self.frame * 100;
        let correlation = |lag: usize| -> f64 {
            self.clean[second..2 * second]
                .iter()
                .zip(&output[second + lag..])
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum()
        };
        (0..=self.frame * 5 / 2)
            .max_by(|&a, &b| correlation(a).total_cmp(&correlation(b)))
            .unwrap()
    }

    /// (noise reduction, speech energy change) in dB, after 0.5 s of convergence.
    fn measure(&self, output: &[f32], delay: usize) -> (f64, f64) {
        let aligned = &output[delay..];
        let (mut noise_in, mut noise_out, mut speech_clean, mut speech_out) = (0.0, 0.0, 0.0, 0.0);
        for (index, out) in aligned.chunks_exact(self.frame).enumerate().skip(50) {
            let range = index * self.frame..(index + 1) * self.frame;
            if self.silent_frames[index] {
                noise_in += energy(&self.noisy[range.clone()]);
                noise_out += energy(out);
            }
            if self.speech_frames[index] {
                speech_clean += energy(&self.clean[range]);
                speech_out += energy(out);
            }
        }
        let db = |ratio: f64| 10.0 * ratio.log10();
        (db(noise_in / noise_out), db(speech_out / speech_clean))
    }
}

#[test]
fn frames_are_10_ms_at_the_reported_rate() {
    for implementation in implementations() {
        let suppressor = (implementation.make)(SuppressorConfig::default());
        let expected = suppressor.sample_rate() as usize / 100;
        assert_eq!(
            suppressor.frame_samples(),
            expected,
            "{}",
            implementation.name
        );
    }
}

#[test]
fn clean_speech_passes_unchanged_with_the_documented_delay() {
    for implementation in implementations() {
        let mut suppressor = (implementation.make)(SuppressorConfig::default());
        let rate = suppressor.sample_rate();
        let scene = Scene::new(rate, None);
        let output = run(suppressor.as_mut(), &scene.noisy);
        let delay = scene.delay_of(&output);
        let tolerance = rate as usize / 1_000;
        assert!(
            delay.abs_diff(implementation.delay) <= tolerance,
            "{}: delay {delay}, documented {}",
            implementation.name,
            implementation.delay
        );
        let (_, speech_db) = scene.measure(&output, delay);
        assert!(
            speech_db.abs() < MAX_CLEAN_CHANGE_DB,
            "{}: clean speech changed by {speech_db:.2} dB",
            implementation.name
        );
    }
}

#[test]
fn stationary_noise_is_reduced_and_speech_kept() {
    for implementation in implementations() {
        let mut suppressor = (implementation.make)(SuppressorConfig::default());
        let scene = Scene::new(suppressor.sample_rate(), Some(10.0));
        let output = run(suppressor.as_mut(), &scene.noisy);
        let (reduction_db, speech_db) = scene.measure(&output, implementation.delay);
        assert!(
            reduction_db > MIN_NOISE_REDUCTION_DB,
            "{}: noise reduced by only {reduction_db:.1} dB",
            implementation.name
        );
        assert!(
            speech_db.abs() < MAX_SPEECH_CHANGE_DB,
            "{}: speech changed by {speech_db:.2} dB",
            implementation.name
        );
    }
}

#[test]
fn a_stronger_level_suppresses_more() {
    for implementation in implementations() {
        let rate = (implementation.make)(SuppressorConfig::default()).sample_rate();
        let scene = Scene::new(rate, Some(10.0));
        let reductions: Vec<f64> = [
            SuppressionLevel::Low,
            SuppressionLevel::High,
            SuppressionLevel::VeryHigh,
        ]
        .into_iter()
        .map(|level| {
            let config = SuppressorConfig {
                level,
                ..SuppressorConfig::default()
            };
            let mut suppressor = (implementation.make)(config);
            let output = run(suppressor.as_mut(), &scene.noisy);
            scene.measure(&output, implementation.delay).0
        })
        .collect();
        assert!(
            reductions.windows(2).all(|pair| pair[1] > pair[0] + 1.0),
            "{}: {reductions:?}",
            implementation.name
        );
    }
}

#[test]
fn silence_stays_silent_and_overload_stays_finite() {
    for implementation in implementations() {
        let mut suppressor = (implementation.make)(SuppressorConfig::default());
        let frame = suppressor.frame_samples();
        let silence = run(suppressor.as_mut(), &vec![0.0; frame * 100]);
        assert!(
            silence.iter().all(|s| s.abs() < 1e-4),
            "{}",
            implementation.name
        );
        let square: Vec<f32> = (0..frame * 100)
            .map(|n| if (n / 20) % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let loud = run(suppressor.as_mut(), &square);
        assert!(
            loud.iter().all(|s| s.is_finite()),
            "{}",
            implementation.name
        );
    }
}

#[test]
fn config_reads_from_toml_style_names() {
    let config: SuppressorConfig =
        serde_json::from_str(r#"{"level": "very_high", "high_pass_filter": false}"#).unwrap();
    assert_eq!(config.level, SuppressionLevel::VeryHigh);
    assert!(!config.high_pass_filter);
    let defaults: SuppressorConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(defaults, SuppressorConfig::default());
}
