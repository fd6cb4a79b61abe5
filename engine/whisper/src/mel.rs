//! Whisper's log-mel front end, exactly as OpenAI's `whisper/audio.py` computes it.
//!
//! 16 kHz mono input; a centred STFT (`n_fft` 400, hop 160, periodic Hann window, reflect
//! padding of 200 samples on both sides) whose last frame is dropped; power spectrum `|X|^2`;
//! 80 librosa Slaney mel filters (`htk=False`, `norm="slaney"`, computed here, no data file);
//! `log10(max(x, 1e-10))`, clamped from below at the maximum minus 8, then `(x + 4) / 4`.

use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use crate::WhisperError;

/// Sample rate the front end expects.
pub const SAMPLE_RATE: usize = 16_000;
/// FFT length (25 ms).
pub const N_FFT: usize = 400;
/// Hop between frames (10 ms).
pub const HOP_LENGTH: usize = 160;
/// Frames in Whisper's full 30 s window.
pub const N_FRAMES: usize = 3000;
/// Frequency bins of one frame's spectrum.
pub const N_FREQS: usize = N_FFT / 2 + 1;

/// The Slaney-style mel filter bank librosa's `filters.mel(sr, n_fft, n_mels)` returns with
/// its defaults (`fmin` 0, `fmax` sr/2, `htk=False`, `norm="slaney"`): `n_mels` rows of
/// `n_fft / 2 + 1` weights, row-major.
pub fn mel_filters(sample_rate: usize, n_fft: usize, n_mels: usize) -> Vec<f32> {
    let n_freqs = n_fft / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_freqs)
        .map(|k| k as f64 * sample_rate as f64 / n_fft as f64)
        .collect();
    let max_mel = hz_to_mel(sample_rate as f64 / 2.0);
    let mel_points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(max_mel * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut weights = vec![0.0_f32; n_mels * n_freqs];
    for (m, row) in weights.chunks_exact_mut(n_freqs).enumerate() {
        let (left, centre, right) = (mel_points[m], mel_points[m + 1], mel_points[m + 2]);
        let norm = 2.0 / (right - left);
        for (weight, &f) in row.iter_mut().zip(&fft_freqs) {
            let lower = (f - left) / (centre - left);
            let upper = (right - f) / (right - centre);
            *weight = (lower.min(upper).max(0.0) * norm) as f32;
        }
    }
    weights
}

/// Hz to mel on the Slaney scale: linear below 1 kHz (3 mel per 200 Hz), logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4_f64.ln() / 27.0;
    if hz >= MIN_LOG_HZ {
        min_log_mel + (hz / MIN_LOG_HZ).ln() / log_step
    } else {
        hz / F_SP
    }
}

/// Inverse of [`hz_to_mel`].
fn mel_to_hz(mel: f64) -> f64 {
    const F_SP: f64 = 200.0 / 3.0;
    const MIN_LOG_HZ: f64 = 1000.0;
    let min_log_mel = MIN_LOG_HZ / F_SP;
    let log_step = 6.4_f64.ln() / 27.0;
    if mel >= min_log_mel {
        MIN_LOG_HZ * (log_step * (mel - min_log_mel)).exp()
    } else {
        F_SP * mel
    }
}

/// Computes Whisper log-mel spectrograms; holds the FFT plan, window and filter bank.
pub struct MelFrontEnd {
    n_mels: usize,
    filters: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl std::fmt::Debug for MelFrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelFrontEnd")
            .field("n_mels", &self.n_mels)
            .finish()
    }
}

impl MelFrontEnd {
    /// A front end with `n_mels` mel bins (80 for every Whisper model but large-v3's 128).
    pub fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        Self {
            n_mels,
            filters: mel_filters(SAMPLE_RATE, N_FFT, n_mels),
            window,
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    /// Mel bins per frame.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// The log-mel spectrogram of `pcm` (16 kHz), zero-padded or cut to `n_frames * 160`
    /// samples first, as Whisper pads every segment: `n_mels` rows of `n_frames` values,
    /// row-major (the `[n_mels, n_frames]` layout the encoder takes); empty for
    /// `n_frames == 0`.
    pub fn log_mel(&self, pcm: &[f32], n_frames: usize) -> Result<Vec<f32>, WhisperError> {
        if n_frames == 0 {
            return Ok(Vec::new());
        }
        let len = n_frames * HOP_LENGTH;
        let mut signal = vec![0.0_f32; len];
        let used = pcm.len().min(len);
        signal[..used].copy_from_slice(&pcm[..used]);
        let padded = reflect_pad(&signal, N_FFT / 2);

        let mut power = vec![0.0_f32; n_frames * N_FREQS];
        let mut frame = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        for (t, row) in power.chunks_exact_mut(N_FREQS).enumerate() {
            let start = t * HOP_LENGTH;
            for ((x, &s), &w) in frame
                .iter_mut()
                .zip(&padded[start..start + N_FFT])
                .zip(&self.window)
            {
                *x = s * w;
            }
            self.fft
                .process_with_scratch(&mut frame, &mut spectrum, &mut scratch)
                .map_err(|e| WhisperError::Internal(format!("FFT: {e}")))?;
            for (p, c) in row.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
        }

        let mut mel = vec![0.0_f32; self.n_mels * n_frames];
        for (m, out_row) in mel.chunks_exact_mut(n_frames).enumerate() {
            let filter = &self.filters[m * N_FREQS..(m + 1) * N_FREQS];
            for (out, spectrum) in out_row.iter_mut().zip(power.chunks_exact(N_FREQS)) {
                let energy: f32 = filter.iter().zip(spectrum).map(|(w, p)| w * p).sum();
                *out = energy.max(1e-10).log10();
            }
        }
        let floor = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max) - 8.0;
        for value in &mut mel {
            *value = (value.max(floor) + 4.0) / 4.0;
        }
        Ok(mel)
    }
}

/// `signal` with `pad` samples mirrored (without repeating the edge) on both sides, like
/// `numpy.pad(mode="reflect")`; falls back to zeros where the signal is too short to mirror.
fn reflect_pad(signal: &[f32], pad: usize) -> Vec<f32> {
    let n = signal.len();
    let mut out = Vec::with_capacity(n + 2 * pad);
    out.extend(
        (1..=pad)
            .rev()
            .map(|i| signal.get(i).copied().unwrap_or(0.0)),
    );
    out.extend_from_slice(signal);
    out.extend((1..=pad).map(|i| {
        n.checked_sub(1 + i)
            .and_then(|j| signal.get(j))
            .copied()
            .unwrap_or(0.0)
    }));
    out
}
