//! Opus encode and decode of one 20 ms mono frame at complexity 1, 5 and 10, with PCM at
//! 48 kHz (960 samples) and at the media loop's 8 kHz (160 samples); plus one concealed frame.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use voxgate_codecs::{Codec, OpusSettings};

/// One second of speech-like audio (two tones under a 4 Hz syllable envelope) in 20 ms frames.
fn speech_frames(sample_rate: u32) -> Vec<Vec<i16>> {
    let frame = (sample_rate / 50) as usize;
    let samples: Vec<i16> = (0..sample_rate)
        .map(|n| {
            let t = n as f32 / sample_rate as f32;
            let envelope = 0.5 + 0.5 * (t * 4.0 * std::f32::consts::TAU).sin();
            let v = (t * 220.0 * std::f32::consts::TAU).sin() * 6000.0
                + (t * 1250.0 * std::f32::consts::TAU).sin() * 2000.0;
            (v * envelope) as i16
        })
        .collect();
    samples.chunks_exact(frame).map(<[i16]>::to_vec).collect()
}

fn opus(c: &mut Criterion) {
    for sample_rate in [48_000, 8000] {
        let frames = speech_frames(sample_rate);
        let frame_samples = frames[0].len();
        for complexity in [1u8, 5, 10] {
            let settings = OpusSettings {
                complexity,
                ..OpusSettings::default()
            };
            let name = format!("opus/{}k/c{complexity}", sample_rate / 1000);
            let mut encoder = Codec::Opus.encoder(sample_rate, &settings).unwrap();
            c.bench_function(&format!("{name}/encode_20ms"), |b| {
                let mut out = Vec::with_capacity(4000);
                let mut next = frames.iter().cycle();
                b.iter(|| {
                    out.clear();
                    let frame = next.next().unwrap();
                    encoder.encode(black_box(frame), &mut out).unwrap();
                    black_box(&out);
                })
            });
            let packets: Vec<Vec<u8>> = frames
                .iter()
                .map(|frame| {
                    let mut out = Vec::new();
                    encoder.encode(frame, &mut out).unwrap();
                    out
                })
                .collect();
            let mut decoder = Codec::Opus.decoder(sample_rate).unwrap();
            c.bench_function(&format!("{name}/decode_20ms"), |b| {
                let mut out = Vec::with_capacity(frame_samples);
                let mut next = packets.iter().cycle();
                b.iter(|| {
                    out.clear();
                    let packet = next.next().unwrap();
                    decoder.decode(black_box(packet), &mut out).unwrap();
                    black_box(&out);
                })
            });
        }
        let mut decoder = Codec::Opus.decoder(sample_rate).unwrap();
        let mut warm = Vec::new();
        let mut encoder = Codec::Opus
            .encoder(sample_rate, &OpusSettings::default())
            .unwrap();
        for frame in &frames[..10] {
            let mut packet = Vec::new();
            encoder.encode(frame, &mut packet).unwrap();
            decoder.decode(&packet, &mut warm).unwrap();
        }
        c.bench_function(&format!("opus/{}k/conceal_20ms", sample_rate / 1000), |b| {
            let mut out = Vec::with_capacity(frame_samples);
            b.iter(|| {
                out.clear();
                decoder.conceal(frame_samples, &mut out).unwrap();
                black_box(&out);
            })
        });
    }
}

criterion_group!(benches, opus);
criterion_main!(benches);
