//! Noise suppression and resampling per 10 ms frame of 8 kHz call audio.
//!
//! `ns/*` run one suppressor (level High, high-pass on) on a call's 80-sample frame, including
//! the resampling its rate needs; `resample/*` run one resampler on one 10 ms frame.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use voxgate_audio::denoise::{
    NoiseSuppressor, SuppressorConfig, WebRtcApmSuppressor, WebRtcSuppressor,
};
use voxgate_audio::resample::Resampler;

/// One second of 8 kHz speech-like audio (two tones under a syllable envelope) plus noise.
fn call_audio() -> Vec<f32> {
    let mut state = 1u64;
    (0..8_000)
        .map(|n| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02;
            let t = n as f32 / 8_000.0;
            let envelope = (std::f32::consts::PI * 4.0 * t).sin().abs();
            let voice = (2.0 * std::f32::consts::PI * 180.0 * t).sin() * 0.2
                + (2.0 * std::f32::consts::PI * 720.0 * t).sin() * 0.1;
            envelope * voice + noise
        })
        .collect()
}

/// Runs `suppressor` at its rate on 8 kHz frames, resampling around it when its rate differs.
struct AtCallRate {
    suppressor: Box<dyn NoiseSuppressor>,
    up: Resampler,
    down: Resampler,
    wide: Vec<f32>,
    narrow: Vec<f32>,
}

impl AtCallRate {
    fn new(suppressor: Box<dyn NoiseSuppressor>) -> Self {
        let rate = suppressor.sample_rate();
        let up = Resampler::new(8_000, rate, 80).unwrap();
        let down = Resampler::new(rate, 8_000, rate as usize / 100).unwrap();
        Self {
            wide: Vec::with_capacity(up.max_output_len(80)),
            narrow: Vec::with_capacity(80),
            suppressor,
            up,
            down,
        }
    }

    fn process(&mut self, frame: &[f32]) -> &[f32] {
        if self.suppressor.sample_rate() == 8_000 {
            self.narrow.clear();
            self.narrow.extend_from_slice(frame);
            self.suppressor.process(&mut self.narrow);
        } else {
            self.up.process(frame, &mut self.wide);
            self.suppressor.process(&mut self.wide);
            self.down.process(&self.wide, &mut self.narrow);
        }
        &self.narrow
    }
}

fn noise_suppression(c: &mut Criterion) {
    let audio = call_audio();
    let config = SuppressorConfig::default();
    let paths: [(&str, Box<dyn NoiseSuppressor>); 3] = [
        (
            "ns/webrtc_8k/10ms",
            Box::new(WebRtcSuppressor::new(8_000, config).unwrap()),
        ),
        (
            "ns/webrtc_16k_via_resampling/10ms",
            Box::new(WebRtcSuppressor::new(16_000, config).unwrap()),
        ),
        (
            "ns/webrtc_apm_48k_via_resampling/10ms",
            Box::new(WebRtcApmSuppressor::new(config).unwrap()),
        ),
    ];
    for (name, suppressor) in paths {
        let mut path = AtCallRate::new(suppressor);
        let mut frames = audio.chunks_exact(80).cycle();
        c.bench_function(name, |b| {
            b.iter(|| {
                let frame = frames.next().unwrap();
                black_box(path.process(black_box(frame)));
            })
        });
    }
}

fn resampling(c: &mut Criterion) {
    let audio = call_audio();
    for (from, to) in [
        (8_000, 16_000),
        (16_000, 8_000),
        (8_000, 48_000),
        (48_000, 8_000),
    ] {
        let mut resampler = Resampler::new(8_000, from, 80).unwrap();
        let mut input = Vec::new();
        resampler.process(&audio, &mut input);
        let frame = from as usize / 100;
        let mut resampler = Resampler::new(from, to, frame).unwrap();
        let mut out = Vec::with_capacity(resampler.max_output_len(frame));
        let mut frames = input.chunks_exact(frame).cycle();
        let name = format!("resample/{}k_to_{}k/10ms", from / 1000, to / 1000);
        c.bench_function(&name, |b| {
            b.iter(|| {
                resampler.process(black_box(frames.next().unwrap()), &mut out);
                black_box(&out);
            })
        });
    }
}

criterion_group!(benches, noise_suppression, resampling);
criterion_main!(benches);
