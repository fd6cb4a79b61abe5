//! Greedy decoding of one utterance: log-mel, encoder, then one token at a time with
//! Whisper's suppression rules, a repetition guard and the no-speech / log-probability
//! rejection.

use candle_core::{IndexOp, Tensor};

use crate::WhisperError;
use crate::mel::{HOP_LENGTH, N_FRAMES, SAMPLE_RATE};
use crate::model::WhisperModel;

/// Longest utterance accepted: Whisper's window.
pub const MAX_AUDIO_SECONDS: usize = 30;

/// How much of Whisper's 30 s window the encoder sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MelWindow {
    /// The full 3000 frames (30 s), the utterance zero-padded as Whisper was trained.
    Full,
    /// Only the utterance plus `margin_ms` of zero padding (at least `min_ms` in all):
    /// cheaper encoding, at some risk for accuracy (see the crate documentation).
    Utterance {
        /// Silence appended after the utterance.
        margin_ms: u32,
        /// Smallest window.
        min_ms: u32,
    },
}

/// Settings of one decoding.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeOptions {
    /// Language code ("en", "zh"); `None`: English for English-only models, detected for
    /// multilingual ones.
    pub language: Option<String>,
    /// The encoder's input window; by default the utterance plus 1 s (see the crate
    /// documentation for why).
    pub window: MelWindow,
    /// Most text tokens to produce (Whisper's own limit is 224); the decoder also stops at
    /// 16 tokens per second of audio plus 8.
    pub max_tokens: usize,
    /// Average token log-probability under which a result is doubtful; under twice this it is
    /// rejected as garble (a doubtful result still goes out, with its low confidence, for the
    /// dialogue to weigh).
    pub logprob_threshold: f32,
    /// No-speech probability over which a result is rejected as silence (Whisper's "you" on a
    /// silent line, for one).
    pub no_speech_threshold: f32,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            language: None,
            window: MelWindow::Utterance {
                margin_ms: 1000,
                min_ms: 0,
            },
            max_tokens: 224,
            logprob_threshold: -1.0,
            no_speech_threshold: 0.6,
        }
    }
}

/// The result of decoding one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcription {
    /// The text, trimmed; empty when the result was rejected.
    pub text: String,
    /// The language decoded in (given, detected, or "en" for English-only models).
    pub language: String,
    /// Mean log-probability of the produced tokens (end of text included).
    pub avg_logprob: f32,
    /// Probability of `<|nocaptions|>` at the start of the transcript.
    pub no_speech_prob: f32,
    /// The text tokens produced (kept even when rejected, for diagnosis).
    pub tokens: Vec<u32>,
    /// Whether the result was rejected (no speech, or too unlikely).
    pub rejected: bool,
    /// Whether a repeated tail was cut off.
    pub repetition_cut: bool,
}

impl Transcription {
    /// Confidence in 0..=1: `exp(avg_logprob)`, for a rejected result also at most
    /// `1 - no_speech_prob`.
    pub fn confidence(&self) -> f32 {
        let mut confidence = self.avg_logprob.exp();
        if self.rejected {
            confidence = confidence.min(1.0 - self.no_speech_prob);
        }
        if confidence.is_finite() {
            confidence.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

impl WhisperModel {
    /// Transcribes one utterance of 16 kHz mono PCM (-1..1). Rejection (silence, noise) is a
    /// result with empty text, not an error; errors are unusable input (empty, longer than
    /// 30 s, unsupported language) and internal failures.
    pub fn transcribe(
        &mut self,
        pcm_16k: &[f32],
        options: &DecodeOptions,
    ) -> Result<Transcription, WhisperError> {
        if pcm_16k.is_empty() {
            return Err(WhisperError::Input("empty audio".into()));
        }
        if pcm_16k.len() > MAX_AUDIO_SECONDS * SAMPLE_RATE {
            return Err(WhisperError::Input(format!(
                "{:.1} s of audio, at most {MAX_AUDIO_SECONDS} s",
                pcm_16k.len() as f32 / SAMPLE_RATE as f32
            )));
        }
        if let Some(code) = &options.language
            && !self.supports_language(code)
        {
            return Err(WhisperError::UnsupportedLanguage(code.clone()));
        }
        let assets = self.assets.clone();
        let n_frames = window_frames(pcm_16k.len(), options.window);
        let mel = assets.mel.log_mel(pcm_16k, n_frames)?;
        let mel = Tensor::from_vec(mel, (1, assets.mel.n_mels(), n_frames), &self.device)?;
        let features = self.network.encoder.forward(&mel, true)?;

        let special = assets.vocab.special();
        let mut prompt = vec![special.start_of_transcript];
        let language = if self.is_multilingual() {
            let token = match &options.language {
                Some(code) => assets
                    .vocab
                    .language_token(code)
                    .ok_or_else(|| WhisperError::UnsupportedLanguage(code.clone()))?,
                None => self.detect_language(&features)?,
            };
            prompt.extend([token, special.transcribe]);
            assets.vocab.language_of(token).unwrap_or("en").to_owned()
        } else {
            "en".to_owned()
        };
        prompt.push(special.no_timestamps);

        let seconds = pcm_16k.len().div_ceil(SAMPLE_RATE);
        let limit = options
            .max_tokens
            .min(8 + 16 * seconds)
            .min(self.network.config.max_target_positions / 2);
        let mut tokens = prompt.clone();
        let mut logprobs = Vec::new();
        let mut no_speech_prob = 0.0;
        let mut repetition_cut = false;
        for step in 0..limit {
            let input = Tensor::new(tokens.as_slice(), &self.device)?.unsqueeze(0)?;
            let hidden = self.network.decoder.forward(&input, &features, step == 0)?;
            if step == 0 {
                let at_start = self.network.decoder.final_linear(&hidden.i((.., 0..1))?)?;
                let probs = candle_nn::ops::softmax_last_dim(&at_start.flatten_all()?)?;
                no_speech_prob = probs.i(special.no_speech as usize)?.to_scalar::<f32>()?;
            }
            let last = hidden.i((.., tokens.len() - 1..tokens.len()))?;
            let mut logits = self
                .network
                .decoder
                .final_linear(&last)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            for &id in &assets.suppress {
                mask(&mut logits, id);
            }
            if step == 0 {
                for &id in &assets.suppress_begin {
                    mask(&mut logits, id);
                }
            }
            let (next, logprob) = best(&logits);
            logprobs.push(logprob);
            if next == special.end_of_text {
                break;
            }
            tokens.push(next);
            if let Some(keep) = repeated_tail(&tokens[prompt.len()..]) {
                tokens.truncate(prompt.len() + keep);
                logprobs.truncate(keep);
                repetition_cut = true;
                break;
            }
        }
        let text_tokens = tokens.split_off(prompt.len());
        let avg_logprob = if logprobs.is_empty() {
            f32::NEG_INFINITY
        } else {
            logprobs.iter().sum::<f32>() / logprobs.len() as f32
        };
        let text = assets.vocab.decode(&text_tokens).trim().to_owned();
        let rejected = text.is_empty()
            || no_speech_prob > options.no_speech_threshold
            || avg_logprob < 2.0 * options.logprob_threshold;
        Ok(Transcription {
            text: if rejected { String::new() } else { text },
            language,
            avg_logprob,
            no_speech_prob,
            tokens: text_tokens,
            rejected,
            repetition_cut,
        })
    }

    /// The most likely language token after `<|startoftranscript|>`.
    fn detect_language(&mut self, features: &Tensor) -> Result<u32, WhisperError> {
        let sot = self.assets.vocab.special().start_of_transcript;
        let input = Tensor::new(&[sot], &self.device)?.unsqueeze(0)?;
        let hidden = self.network.decoder.forward(&input, features, true)?;
        let logits = self.network.decoder.final_linear(&hidden)?.flatten_all()?;
        let logits = logits.to_vec1::<f32>()?;
        self.assets
            .language_tokens
            .iter()
            .copied()
            .filter(|&id| (id as usize) < logits.len())
            .max_by(|&a, &b| logits[a as usize].total_cmp(&logits[b as usize]))
            .ok_or_else(|| WhisperError::Internal("the model has no language tokens".into()))
    }
}

/// Encoder frames for `samples` of audio under `window`: even (the second convolution
/// halves them), at most Whisper's 3000.
pub fn window_frames(samples: usize, window: MelWindow) -> usize {
    match window {
        MelWindow::Full => N_FRAMES,
        MelWindow::Utterance { margin_ms, min_ms } => {
            let per_ms = SAMPLE_RATE / 1000;
            let wanted = (samples + margin_ms as usize * per_ms).max(min_ms as usize * per_ms);
            let frames = wanted.div_ceil(HOP_LENGTH);
            (frames + frames % 2).min(N_FRAMES)
        }
    }
}

fn mask(logits: &mut [f32], id: u32) {
    if let Some(logit) = logits.get_mut(id as usize) {
        *logit = f32::NEG_INFINITY;
    }
}

/// The arg-max token and its log-probability under the (suppressed) distribution.
fn best(logits: &[f32]) -> (u32, f32) {
    let (index, &max) = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or((0, &0.0));
    let sum: f32 = logits.iter().map(|&l| (l - max).exp()).sum();
    (index as u32, -sum.ln())
}

/// Longest n-gram the repetition guard looks for.
const MAX_NGRAM: usize = 12;

/// If `tokens` ends in an n-gram repeated over and over (a single token 6 times, 2-3 tokens
/// 4 times, longer ones 3 times), the length that keeps its first occurrence only.
pub fn repeated_tail(tokens: &[u32]) -> Option<usize> {
    for n in 1..=MAX_NGRAM.min(tokens.len() / 2) {
        let needed = match n {
            1 => 6,
            2 | 3 => 4,
            _ => 3,
        };
        let gram = &tokens[tokens.len() - n..];
        let repeats = tokens
            .rchunks_exact(n)
            .take_while(|chunk| *chunk == gram)
            .count();
        if repeats >= needed {
            return Some(tokens.len() - (repeats - 1) * n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_guard_keeps_the_first_occurrence() {
        assert_eq!(repeated_tail(&[1, 2, 3]), None);
        assert_eq!(repeated_tail(&[9, 5, 5, 5, 5, 5, 5]), Some(2));
        assert_eq!(repeated_tail(&[9, 5, 5, 5, 5, 5]), None);
        assert_eq!(repeated_tail(&[9, 1, 2, 1, 2, 1, 2, 1, 2]), Some(3));
        assert_eq!(
            repeated_tail(&[7, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]),
            Some(5)
        );
    }

    #[test]
    fn windows_are_even_and_bounded() {
        let utterance = MelWindow::Utterance {
            margin_ms: 500,
            min_ms: 2000,
        };
        assert_eq!(window_frames(16_000, MelWindow::Full), 3000);
        assert_eq!(window_frames(16_000, utterance), 200);
        assert_eq!(window_frames(48_000, utterance), 350);
        assert_eq!(window_frames(48_016, utterance), 352);
        assert_eq!(window_frames(600_000, utterance), 3000);
    }

    #[test]
    fn best_gives_the_log_probability() {
        let (id, lp) = best(&[3.0_f32.ln(), 0.0, f32::NEG_INFINITY]);
        assert_eq!(id, 0);
        assert!((lp - 0.75_f32.ln()).abs() < 1e-6);
    }
}
