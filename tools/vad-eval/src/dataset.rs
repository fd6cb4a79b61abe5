//! Builds the labelled set: speech tracks, noise mixed at fixed SNRs, G.711, frame labels.

use voxgate_codecs::g711;

use crate::noise::{self, NoiseKind, Rng};
use crate::speech::{self, BABBLE_SENTENCES, ENGLISH_SENTENCES, Language, MANDARIN_SENTENCES};
use crate::{EvalError, FRAME_SAMPLES, SAMPLE_RATE};

/// Active speech level of every track: -26 dBFS, a usual telephone level.
pub const SPEECH_LEVEL_DBFS: f32 = -26.0;
/// A frame is speech when its clean energy is within this many dB of the track's loudest frame.
pub const LABEL_RANGE_DB: f32 = 30.0;
/// Unvoiced gaps up to this many frames inside speech (stop closures) are labelled speech.
pub const LABEL_BRIDGE_FRAMES: usize = 3;
/// The SNRs of the noisy subset, in dB.
pub const SNRS_DB: [f32; 4] = [20.0, 10.0, 5.0, 0.0];

/// What the set holds.
#[derive(Clone, Debug)]
pub struct SetConfig {
    /// Speech tracks per language (each of `sentences_per_track` sentences with pauses).
    pub tracks_per_language: usize,
    /// Sentences in one track.
    pub sentences_per_track: usize,
    /// Noises mixed into every track.
    pub noises: Vec<NoiseKind>,
    /// SNRs (dB) each noise is mixed at.
    pub snrs_db: Vec<f32>,
    /// Length of each noise-only clip (one per noise and SNR level), in seconds.
    pub noise_only_seconds: f32,
    /// Seed of every random choice (pauses, noise, babble offsets).
    pub seed: u64,
}

impl SetConfig {
    /// The full set for the results table: 4 tracks per language of 2 sentences, all noises,
    /// all SNRs, 30 s of every noise at every level.
    pub fn full() -> Self {
        Self {
            tracks_per_language: 4,
            sentences_per_track: 2,
            noises: NoiseKind::ALL.to_vec(),
            snrs_db: SNRS_DB.to_vec(),
            noise_only_seconds: 30.0,
            seed: 2024,
        }
    }

    /// A small set for tests (debug builds): one track per language of one sentence, all noises,
    /// SNR 10 and 0 dB, 10 s of noise-only audio per noise and level.
    pub fn quick() -> Self {
        Self {
            tracks_per_language: 1,
            sentences_per_track: 1,
            noises: NoiseKind::ALL.to_vec(),
            snrs_db: vec![10.0, 0.0],
            noise_only_seconds: 10.0,
            seed: 7,
        }
    }
}

/// One clip of the set, as a detector hears it (after G.711).
#[derive(Clone, Debug)]
pub struct Clip {
    /// Language of the speech; `None` for noise-only clips.
    pub language: Option<Language>,
    /// Noise mixed in; `None` for the clean condition.
    pub noise: Option<NoiseKind>,
    /// SNR of the mix (for noise-only clips: the SNR the noise level belongs to).
    pub snr_db: Option<f32>,
    /// 8 kHz samples in -1..1, G.711 decoded.
    pub samples: Vec<f32>,
    /// One label per 10 ms frame: speech or not (all false for noise-only clips).
    pub labels: Vec<bool>,
}

/// The whole set.
#[derive(Clone, Debug)]
pub struct EvalSet {
    /// Speech clips: clean and with every noise at every SNR.
    pub speech: Vec<Clip>,
    /// Noise only, at the level each SNR implies against the speech level.
    pub noise_only: Vec<Clip>,
}

/// A clean speech track and its labels.
struct Track {
    language: Language,
    samples: Vec<f32>,
    labels: Vec<bool>,
    speech_power: f32,
}

/// Builds the set (runs espeak-ng and sox for the speech).
pub fn build(config: &SetConfig) -> Result<EvalSet, EvalError> {
    let mut rng = Rng::new(config.seed);
    let tracks = speech_tracks(config, &mut rng)?;
    let talkers = babble_talkers()?;
    let reference_power = level_power(SPEECH_LEVEL_DBFS);
    let mut speech = Vec::new();
    let mut clip_index = 0u64;
    for track in &tracks {
        speech.push(finish(
            Some(track.language),
            None,
            None,
            track.samples.clone(),
            &track.labels,
            clip_index,
        ));
        clip_index += 1;
        for &kind in &config.noises {
            for &snr in &config.snrs_db {
                let mut noise =
                    noise::generate(kind, track.samples.len(), rng.next_u64(), &talkers);
                let gain = (track.speech_power / db_to_power(snr)).sqrt();
                let mixed = track
                    .samples
                    .iter()
                    .zip(&mut noise)
                    .map(|(s, n)| s + gain * *n)
                    .collect();
                speech.push(finish(
                    Some(track.language),
                    Some(kind),
                    Some(snr),
                    mixed,
                    &track.labels,
                    clip_index,
                ));
                clip_index += 1;
            }
        }
    }
    let noise_samples = (config.noise_only_seconds * SAMPLE_RATE as f32) as usize;
    let mut noise_only = Vec::new();
    for &kind in &config.noises {
        for &snr in &config.snrs_db {
            let noise = noise::generate(kind, noise_samples, rng.next_u64(), &talkers);
            let gain = (reference_power / db_to_power(snr)).sqrt();
            let scaled = noise.iter().map(|n| gain * n).collect();
            let labels = vec![false; noise_samples / FRAME_SAMPLES];
            noise_only.push(finish(
                None,
                Some(kind),
                Some(snr),
                scaled,
                &labels,
                clip_index,
            ));
            clip_index += 1;
        }
    }
    Ok(EvalSet { speech, noise_only })
}

/// Clips to -1..1 and passes through G.711 (µ-law for even clips, A-law for odd ones).
fn finish(
    language: Option<Language>,
    noise: Option<NoiseKind>,
    snr_db: Option<f32>,
    samples: Vec<f32>,
    labels: &[bool],
    index: u64,
) -> Clip {
    let samples = samples
        .iter()
        .map(|&sample| {
            let pcm = (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16;
            let decoded = if index.is_multiple_of(2) {
                g711::ulaw_decode(g711::ulaw_encode(pcm))
            } else {
                g711::alaw_decode(g711::alaw_encode(pcm))
            };
            f32::from(decoded) / 32768.0
        })
        .collect();
    Clip {
        language,
        noise,
        snr_db,
        samples,
        labels: labels.to_vec(),
    }
}

fn speech_tracks(config: &SetConfig, rng: &mut Rng) -> Result<Vec<Track>, EvalError> {
    let mut tracks = Vec::new();
    for (language, sentences) in [
        (Language::English, &ENGLISH_SENTENCES),
        (Language::Mandarin, &MANDARIN_SENTENCES),
    ] {
        for track in 0..config.tracks_per_language {
            let mut samples = silence(rng.range(0.5, 1.0));
            for sentence in 0..config.sentences_per_track {
                let text =
                    sentences[(track * config.sentences_per_track + sentence) % sentences.len()];
                let pitch = 35 + (rng.index(30) as u8);
                samples.extend(speech::synthesise(text, language.voice(), pitch)?);
                samples.extend(silence(rng.range(0.6, 1.5)));
            }
            // Whole frames only, so labels and samples line up exactly.
            samples.truncate(samples.len() / FRAME_SAMPLES * FRAME_SAMPLES);
            let labels = label_frames(&samples);
            let active: Vec<f32> = samples
                .chunks_exact(FRAME_SAMPLES)
                .zip(&labels)
                .filter(|(_, speech)| **speech)
                .flat_map(|(frame, _)| frame.iter().copied())
                .collect();
            let gain =
                (level_power(SPEECH_LEVEL_DBFS) / noise::mean_power(&active).max(1e-12)).sqrt();
            samples.iter_mut().for_each(|sample| *sample *= gain);
            let speech_power = level_power(SPEECH_LEVEL_DBFS);
            tracks.push(Track {
                language,
                samples,
                labels,
                speech_power,
            });
        }
    }
    Ok(tracks)
}

/// Babble voices: other talkers, each at unit active power.
fn babble_talkers() -> Result<Vec<Vec<f32>>, EvalError> {
    BABBLE_SENTENCES
        .iter()
        .enumerate()
        .map(|(index, (voice, text))| {
            let mut talker = speech::synthesise(text, voice, 30 + 8 * index as u8)?;
            noise::normalise(&mut talker);
            Ok(talker)
        })
        .collect()
}

/// Labels 10 ms frames of clean speech: within [`LABEL_RANGE_DB`] of the loudest frame, with
/// gaps of up to [`LABEL_BRIDGE_FRAMES`] inside speech bridged.
pub fn label_frames(samples: &[f32]) -> Vec<bool> {
    let energies: Vec<f32> = samples
        .chunks_exact(FRAME_SAMPLES)
        .map(noise::mean_power)
        .collect();
    let loudest = energies.iter().copied().fold(0.0f32, f32::max);
    if loudest <= 0.0 {
        return vec![false; energies.len()];
    }
    let floor = loudest / db_to_power(LABEL_RANGE_DB);
    let mut labels: Vec<bool> = energies.iter().map(|&energy| energy > floor).collect();
    let mut last_speech: Option<usize> = None;
    for index in 0..labels.len() {
        if labels[index] {
            if let Some(last) = last_speech
                && index - last > 1
                && index - last - 1 <= LABEL_BRIDGE_FRAMES
            {
                labels[last + 1..index]
                    .iter_mut()
                    .for_each(|label| *label = true);
            }
            last_speech = Some(index);
        }
    }
    labels
}

fn silence(seconds: f32) -> Vec<f32> {
    vec![0.0; (seconds * SAMPLE_RATE as f32) as usize]
}

fn db_to_power(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

fn level_power(dbfs: f32) -> f32 {
    db_to_power(dbfs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_energy_and_bridge_short_gaps() {
        let mut samples = vec![0.0f32; FRAME_SAMPLES * 20];
        let loud = |samples: &mut [f32], frames: std::ops::Range<usize>| {
            for frame in frames {
                for sample in &mut samples[frame * FRAME_SAMPLES..(frame + 1) * FRAME_SAMPLES] {
                    *sample = 0.5;
                }
            }
        };
        loud(&mut samples, 2..5);
        loud(&mut samples, 7..9); // gap of 2 frames: bridged
        loud(&mut samples, 14..16); // gap of 5 frames: not bridged
        let labels = label_frames(&samples);
        let speech: Vec<usize> = (0..20).filter(|&frame| labels[frame]).collect();
        assert_eq!(speech, [2, 3, 4, 5, 6, 7, 8, 14, 15]);
    }

    #[test]
    fn g711_keeps_the_signal() {
        let samples: Vec<f32> = (0..800).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
        for index in [0, 1] {
            let clip = finish(None, None, None, samples.clone(), &[], index);
            let error: f32 = clip
                .samples
                .iter()
                .zip(&samples)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(error < 0.01, "law {index}: error {error}");
        }
    }
}
