//! SIT detection per 20 ms frame of early media: on speech-like audio (nothing found, the
//! common case), and on a stream of SITs with silence between them (runs, segment measuring
//! and a detection every 1.3 s), at 8 and 16 kHz.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use voxgate_audio::sit::{SitCategory, SitDetector, sit_samples};
use voxgate_benches::pcm_frame;

/// A vacant-code SIT followed by 300 ms of silence, to be cycled frame by frame.
fn sit_stream(sample_rate: u32) -> Vec<i16> {
    let mut samples = sit_samples(SitCategory::VacantCode, sample_rate);
    samples.resize(samples.len() + sample_rate as usize * 3 / 10, 0);
    samples
}

fn sit(c: &mut Criterion) {
    let speech = pcm_frame();
    let mut detector = SitDetector::new(8_000).expect("8 kHz is supported");
    c.bench_function("sit/8k/speech_20ms", |b| {
        b.iter(|| black_box(detector.push(black_box(&speech))))
    });

    for sample_rate in [8_000, 16_000] {
        let stream = sit_stream(sample_rate);
        let frames: Vec<&[i16]> = stream.chunks(sample_rate as usize / 50).collect();
        let mut detector = SitDetector::new(sample_rate).expect("rate is supported");
        let mut next = 0;
        let name = format!("sit/{}k/sit_stream_20ms", sample_rate / 1000);
        c.bench_function(&name, |b| {
            b.iter(|| {
                if detector.push(black_box(frames[next])).is_some() {
                    detector.reset();
                }
                next = (next + 1) % frames.len();
            })
        });
    }
}

criterion_group!(benches, sit);
criterion_main!(benches);
