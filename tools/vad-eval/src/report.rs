//! Scores every detector on the set and writes the results as Markdown tables.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Instant;

use voxgate_audio::endpointing::EndpointingConfig;
use voxgate_audio::vad::DEFAULT_SPEECH_THRESHOLD;

use crate::EvalError;
use crate::barge_in::{barge_ins, minutes};
use crate::dataset::{EvalSet, SetConfig};
use crate::metrics::{detection, roc_auc};
use crate::noise::NoiseKind;
use crate::score::{Detector, Scorer};
use crate::speech::Language;

/// Frames pooled over the clips of one condition.
#[derive(Clone, Debug, Default)]
struct Pool {
    scores: Vec<f32>,
    labels: Vec<bool>,
}

impl Pool {
    fn add(&mut self, scores: &[f32], labels: &[bool]) {
        let frames = scores.len().min(labels.len());
        self.scores.extend_from_slice(&scores[..frames]);
        self.labels.extend_from_slice(&labels[..frames]);
    }

    fn auc(&self) -> f64 {
        roc_auc(&self.scores, &self.labels).unwrap_or(f64::NAN)
    }

    fn f1(&self) -> f64 {
        detection(&self.scores, &self.labels, DEFAULT_SPEECH_THRESHOLD).f1
    }
}

/// One detector's results on the set.
#[derive(Clone, Debug)]
pub struct DetectorResult {
    /// The detector.
    pub detector: Detector,
    /// ROC-AUC on clean speech (G.711 only).
    pub auc_clean: f64,
    /// ROC-AUC on every noisy clip pooled.
    pub auc_noisy: f64,
    /// ROC-AUC per SNR (dB, as in the set config).
    pub auc_by_snr: Vec<(f32, f64)>,
    /// ROC-AUC of the noisy clips per language.
    pub auc_noisy_by_language: Vec<(Language, f64)>,
    /// ROC-AUC of the noisy clips per noise kind (all SNRs).
    pub auc_by_noise: Vec<(NoiseKind, f64)>,
    /// F1 at the default threshold on clean speech.
    pub f1_clean: f64,
    /// F1 at the default threshold on every noisy clip.
    pub f1_noisy: f64,
    /// False barge-ins on the noise-only clips per noise kind (all levels), and minutes heard.
    pub barge_ins_by_noise: Vec<(NoiseKind, usize, f64)>,
}

impl DetectorResult {
    /// All false barge-ins on noise-only audio.
    pub fn barge_ins(&self) -> usize {
        self.barge_ins_by_noise
            .iter()
            .map(|(_, count, _)| count)
            .sum()
    }

    /// False barge-ins per minute of noise-only audio.
    pub fn barge_ins_per_minute(&self) -> f64 {
        per_minute(self.barge_ins_by_noise.iter())
    }

    /// False barge-ins per minute of noise-only audio without the background conversation
    /// (which is speech).
    pub fn noise_barge_ins_per_minute(&self) -> f64 {
        per_minute(
            self.barge_ins_by_noise
                .iter()
                .filter(|(kind, _, _)| *kind != NoiseKind::Conversation),
        )
    }
}

/// Scores `detector` on `set`; `config` gives the SNRs and noises in table order.
pub fn evaluate(
    set: &EvalSet,
    config: &SetConfig,
    scorer: &Scorer,
    detector: Detector,
) -> Result<DetectorResult, EvalError> {
    let mut clean = Pool::default();
    let mut noisy = Pool::default();
    let mut by_snr: BTreeMap<i32, Pool> = BTreeMap::new();
    let mut by_language: BTreeMap<&str, Pool> = BTreeMap::new();
    let mut by_noise: BTreeMap<&str, Pool> = BTreeMap::new();
    for clip in &set.speech {
        let scores = scorer.score(detector, &clip.samples)?;
        match (clip.noise, clip.snr_db) {
            (Some(kind), Some(snr)) => {
                noisy.add(&scores.aligned, &clip.labels);
                by_snr
                    .entry(snr_key(snr))
                    .or_default()
                    .add(&scores.aligned, &clip.labels);
                by_noise
                    .entry(kind.name())
                    .or_default()
                    .add(&scores.aligned, &clip.labels);
                if let Some(language) = clip.language {
                    by_language
                        .entry(language.name())
                        .or_default()
                        .add(&scores.aligned, &clip.labels);
                }
            }
            _ => clean.add(&scores.aligned, &clip.labels),
        }
    }
    let start = Instant::now();
    let mut barge_ins_by_noise = Vec::new();
    for &kind in &config.noises {
        let (mut count, mut frames) = (0, 0);
        for clip in set
            .noise_only
            .iter()
            .filter(|clip| clip.noise == Some(kind))
        {
            let scores = scorer.score(detector, &clip.samples)?;
            count += barge_ins(&scores.causal, EndpointingConfig::default(), start);
            frames += scores.causal.len();
        }
        barge_ins_by_noise.push((kind, count, minutes(frames)));
    }
    let pooled =
        |pools: &BTreeMap<&str, Pool>, name: &str| pools.get(name).map_or(f64::NAN, Pool::auc);
    Ok(DetectorResult {
        detector,
        auc_clean: clean.auc(),
        auc_noisy: noisy.auc(),
        auc_by_snr: config
            .snrs_db
            .iter()
            .map(|&snr| (snr, by_snr.get(&snr_key(snr)).map_or(f64::NAN, Pool::auc)))
            .collect(),
        auc_noisy_by_language: [Language::English, Language::Mandarin]
            .iter()
            .map(|&language| (language, pooled(&by_language, language.name())))
            .collect(),
        auc_by_noise: config
            .noises
            .iter()
            .map(|&kind| (kind, pooled(&by_noise, kind.name())))
            .collect(),
        f1_clean: clean.f1(),
        f1_noisy: noisy.f1(),
        barge_ins_by_noise,
    })
}

fn per_minute<'a>(counts: impl Iterator<Item = &'a (NoiseKind, usize, f64)>) -> f64 {
    let (count, minutes) = counts.fold((0, 0.0), |(count, minutes), (_, n, m)| {
        (count + n, minutes + m)
    });
    count as f64 / minutes
}

fn snr_key(snr: f32) -> i32 {
    (snr * 10.0).round() as i32
}

/// The results as Markdown: quality table, AUC per noise, false barge-ins per noise.
pub fn markdown(results: &[DetectorResult]) -> String {
    let mut out = String::new();
    let Some(first) = results.first() else {
        return out;
    };
    let best_webrtc = results
        .iter()
        .filter(|result| matches!(result.detector, Detector::WebRtc(_)))
        .max_by(|a, b| a.auc_noisy.total_cmp(&b.auc_noisy))
        .map(|result| result.detector);
    let name = |result: &DetectorResult| {
        let mut name = result.detector.name();
        if Some(result.detector) == best_webrtc {
            name.push_str(" (best webrtc)");
        }
        name
    };

    out.push_str("Frame-level (10 ms) ROC-AUC and F1 at the default threshold (0.5):\n\n");
    out.push_str("| detector | AUC clean | AUC noisy |");
    for (snr, _) in &first.auc_by_snr {
        let _ = write!(out, " AUC {snr} dB |");
    }
    out.push_str(" AUC noisy en | AUC noisy zh | F1 clean | F1 noisy |\n|---|");
    out.push_str(&"---:|".repeat(first.auc_by_snr.len() + 6));
    out.push('\n');
    for result in results {
        let _ = write!(
            out,
            "| {} | {:.3} | {:.3} |",
            name(result),
            result.auc_clean,
            result.auc_noisy
        );
        for (_, auc) in &result.auc_by_snr {
            let _ = write!(out, " {auc:.3} |");
        }
        for (_, auc) in &result.auc_noisy_by_language {
            let _ = write!(out, " {auc:.3} |");
        }
        let _ = writeln!(out, " {:.3} | {:.3} |", result.f1_clean, result.f1_noisy);
    }

    out.push_str("\nROC-AUC per noise (all SNRs pooled):\n\n| detector |");
    for (kind, _) in &first.auc_by_noise {
        let _ = write!(out, " {} |", kind.name());
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(first.auc_by_noise.len()));
    out.push('\n');
    for result in results {
        let _ = write!(out, "| {} |", name(result));
        for (_, auc) in &result.auc_by_noise {
            let _ = write!(out, " {auc:.3} |");
        }
        out.push('\n');
    }

    out.push_str(
        "\nFalse barge-ins per minute of noise-only audio (default endpointing: `Endpointer` with \
         `EndpointingConfig::default()`, min_speech 200 ms, start threshold 0.5; a prompt plays \
         throughout):\n\n| detector |",
    );
    for (kind, _, _) in &first.barge_ins_by_noise {
        let _ = write!(out, " {} |", kind.name());
    }
    out.push_str(" all | all but conversation |\n|---|");
    out.push_str(&"---:|".repeat(first.barge_ins_by_noise.len() + 2));
    out.push('\n');
    for result in results {
        let _ = write!(out, "| {} |", name(result));
        for (_, count, minutes) in &result.barge_ins_by_noise {
            let _ = write!(out, " {:.1} |", *count as f64 / minutes);
        }
        let _ = writeln!(
            out,
            " {:.2} | {:.2} |",
            result.barge_ins_per_minute(),
            result.noise_barge_ins_per_minute()
        );
    }
    out
}
