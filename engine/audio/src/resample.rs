//! Streaming sample-rate conversion: a band-limited windowed-sinc polyphase resampler.
//!
//! A [`Resampler`] converts between any two rates whose ratio reduces to `up / down` with a
//! modest `up` (8 kHz <-> 16 kHz <-> 48 kHz, also 44.1 kHz <-> 48 kHz). The prototype low-pass
//! filter is a Kaiser-windowed sinc designed for the lower of the two rates: flat (ripple well
//! under 0.1 dB) up to 42.5 % of that rate (3.4 kHz at 8 kHz), and at least
//! [`STOPBAND_ATTENUATION_DB`] down from its Nyquist frequency on, so a downsampler does not
//! fold content above the new Nyquist frequency back into the band and an upsampler leaves no
//! images. The filter is linear-phase, and its length is chosen so that its delay is a whole
//! number of output samples, reported by [`Resampler::delay_samples`].
//!
//! The tap table and the input history are sized in [`Resampler::new`]; after that,
//! [`Resampler::process`] allocates nothing as long as the output vector has the capacity
//! [`Resampler::max_output_len`] reports (a reused vector has it after its first use).

use thiserror::Error;

/// Stopband attenuation the filter is designed for, in dB.
pub const STOPBAND_ATTENUATION_DB: f64 = 70.0;
/// Passband edge as a fraction of the lower of the two rates.
const PASSBAND_EDGE: f64 = 0.425;
/// Stopband edge as a fraction of the lower of the two rates (its Nyquist frequency).
const STOPBAND_EDGE: f64 = 0.5;
/// Largest tap table accepted, to refuse absurd ratios (e.g. 8000 -> 7999) early.
const MAX_TABLE_TAPS: usize = 1 << 18;

/// Why a [`Resampler`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// A rate of zero.
    #[error("sample rate must be above zero (from {from_hz} Hz to {to_hz} Hz)")]
    ZeroRate {
        /// Input rate asked for.
        from_hz: u32,
        /// Output rate asked for.
        to_hz: u32,
    },
    /// `max_input_frame` of zero.
    #[error("max_input_frame must be above zero")]
    ZeroFrame,
    /// The reduced ratio needs a filter table larger than [`MAX_TABLE_TAPS`].
    #[error("ratio {from_hz} Hz -> {to_hz} Hz needs too large a filter table")]
    RatioTooComplex {
        /// Input rate asked for.
        from_hz: u32,
        /// Output rate asked for.
        to_hz: u32,
    },
}

/// A streaming polyphase resampler for mono `f32` audio.
///
/// Feed it input of any length in order; the output is the same, sample for sample, whether
/// the input comes in one piece or in many.
///
/// ```
/// use voxgate_audio::resample::Resampler;
/// let mut up = Resampler::new(8_000, 48_000, 80).unwrap();
/// let mut out = Vec::with_capacity(up.max_output_len(80));
/// up.process(&[0.0; 80], &mut out);
/// assert_eq!(out.len(), 480);
/// ```
#[derive(Debug, Clone)]
pub struct Resampler {
    from_hz: u32,
    to_hz: u32,
    /// Interpolation factor L of the reduced ratio `to/from = L/M`.
    up: usize,
    /// Decimation factor M.
    down: usize,
    /// Taps per polyphase branch (K).
    taps_per_phase: usize,
    /// `up` branches of `taps_per_phase` taps each, reversed so that each output is the dot
    /// product of one branch with a contiguous window of input history.
    phases: Vec<f32>,
    /// `taps_per_phase - 1` samples of history followed by room for `max_input_frame` inputs.
    history: Vec<f32>,
    max_input_frame: usize,
    /// Time of the next output sample in units of `1 / (from_hz * up)`, counted from the first
    /// input sample not yet consumed.
    next_output_at: usize,
    delay_samples: usize,
}

impl Resampler {
    /// Builds a resampler from `from_hz` to `to_hz` that accepts up to `max_input_frame` input
    /// samples per internal step (longer inputs are processed in several steps).
    pub fn new(from_hz: u32, to_hz: u32, max_input_frame: usize) -> Result<Self, ResampleError> {
        if from_hz == 0 || to_hz == 0 {
            return Err(ResampleError::ZeroRate { from_hz, to_hz });
        }
        if max_input_frame == 0 {
            return Err(ResampleError::ZeroFrame);
        }
        let divisor = gcd(from_hz, to_hz);
        let up = (to_hz / divisor) as usize;
        let down = (from_hz / divisor) as usize;
        let design = FilterDesign::new(from_hz, to_hz, up, down)
            .ok_or(ResampleError::RatioTooComplex { from_hz, to_hz })?;
        let taps_per_phase = design.taps.len().div_ceil(up);
        let mut phases = vec![0.0; taps_per_phase * up];
        for (phase, branch) in phases.chunks_exact_mut(taps_per_phase).enumerate() {
            for (k, tap) in branch.iter_mut().rev().enumerate() {
                let index = phase + k * up;
                *tap = design.taps.get(index).copied().unwrap_or(0.0) as f32;
            }
        }
        Ok(Self {
            from_hz,
            to_hz,
            up,
            down,
            taps_per_phase,
            phases,
            history: vec![0.0; taps_per_phase - 1 + max_input_frame],
            max_input_frame,
            next_output_at: 0,
            delay_samples: design.delay_samples,
        })
    }

    /// Input rate in Hz.
    pub fn from_hz(&self) -> u32 {
        self.from_hz
    }

    /// Output rate in Hz.
    pub fn to_hz(&self) -> u32 {
        self.to_hz
    }

    /// Delay of the filter in output samples: an input event at time `t` appears in the output
    /// at `t + delay_samples() / to_hz`.
    pub fn delay_samples(&self) -> usize {
        self.delay_samples
    }

    /// Most output samples one call with `input_len` input samples can produce.
    pub fn max_output_len(&self, input_len: usize) -> usize {
        (input_len * self.up).div_ceil(self.down)
    }

    /// Forgets all history, as if freshly built.
    pub fn reset(&mut self) {
        self.history.fill(0.0);
        self.next_output_at = 0;
    }

    /// Resamples `input` (the continuation of all earlier input) and replaces the contents of
    /// `output` with the samples it yields: `to/from` times as many, give or take one, because
    /// the phase carries over between calls.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) {
        output.clear();
        for chunk in input.chunks(self.max_input_frame) {
            self.process_chunk(chunk, output);
        }
    }

    fn process_chunk(&mut self, chunk: &[f32], output: &mut Vec<f32>) {
        let kept = self.taps_per_phase - 1;
        let len = chunk.len();
        self.history[kept..kept + len].copy_from_slice(chunk);
        let end = len * self.up;
        while self.next_output_at < end {
            let start = self.next_output_at / self.up;
            let phase = self.next_output_at % self.up;
            let taps = &self.phases[phase * self.taps_per_phase..(phase + 1) * self.taps_per_phase];
            let window = &self.history[start..start + self.taps_per_phase];
            output.push(dot(taps, window));
            self.next_output_at += self.down;
        }
        self.next_output_at -= end;
        self.history.copy_within(len..len + kept, 0);
    }
}

/// The prototype low-pass filter at the interpolated rate `from_hz * up`.
struct FilterDesign {
    /// Taps scaled by `up`, so each polyphase branch has unity gain at DC.
    taps: Vec<f64>,
    /// Group delay in output samples.
    delay_samples: usize,
}

impl FilterDesign {
    /// `None` when the table would exceed [`MAX_TABLE_TAPS`].
    fn new(from_hz: u32, to_hz: u32, up: usize, down: usize) -> Option<Self> {
        if up == 1 && down == 1 {
            return Some(Self {
                taps: vec![1.0],
                delay_samples: 0,
            });
        }
        let interpolated_hz = f64::from(from_hz) * up as f64;
        let low_hz = f64::from(from_hz.min(to_hz));
        let pass_hz = PASSBAND_EDGE * low_hz;
        let stop_hz = STOPBAND_EDGE * low_hz;
        let cutoff = (pass_hz + stop_hz) / 2.0 / interpolated_hz;
        let transition = (stop_hz - pass_hz) / interpolated_hz;
        let attenuation = STOPBAND_ATTENUATION_DB;
        // Kaiser's formulas for the window shape and the length it needs.
        let beta = 0.1102 * (attenuation - 8.7);
        let needed = ((attenuation - 7.95) / (2.285 * 2.0 * std::f64::consts::PI * transition))
            .ceil() as usize
            + 1;
        // An odd length 2*D*M + 1 puts the centre tap D output samples late.
        let delay_samples = (needed.saturating_sub(1)).div_ceil(2 * down);
        let len = 2 * delay_samples * down + 1;
        if len.div_ceil(up).saturating_mul(up) > MAX_TABLE_TAPS {
            return None;
        }
        let centre = (len - 1) as f64 / 2.0;
        let i0_beta = bessel_i0(beta);
        let mut taps: Vec<f64> = (0..len)
            .map(|n| {
                let x = n as f64 - centre;
                let ratio = x / centre;
                let window = bessel_i0(beta * (1.0 - ratio * ratio).max(0.0).sqrt()) / i0_beta;
                2.0 * cutoff * sinc(2.0 * cutoff * x) * window
            })
            .collect();
        let sum: f64 = taps.iter().sum();
        let scale = up as f64 / sum;
        taps.iter_mut().for_each(|tap| *tap *= scale);
        Some(Self {
            taps,
            delay_samples,
        })
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// Modified Bessel function of the first kind, order zero (power series).
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..64 {
        let factor = half / k as f64;
        term *= factor * factor;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Dot product with eight independent accumulators, so the compiler can vectorise it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, a_rest) = a.as_chunks::<8>();
    let (b_chunks, b_rest) = b.as_chunks::<8>();
    let mut acc = [0.0f32; 8];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for ((sum, x), y) in acc.iter_mut().zip(x).zip(y) {
            *sum += x * y;
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
#[path = "resample_tests.rs"]
mod tests;
