//! Embedded Whisper (tiny.en, candle CPU): the log-mel front end alone (2 s utterance in the
//! full 30 s window), and one ~2 s English utterance end to end (8 kHz -> 16 kHz, mel,
//! encoder, greedy decode), with the full 30 s encoder window and with the utterance-sized
//! window.
//!
//! Needs `whisper-models/tiny.en` (run `whisper-models/fetch`) and espeak-ng + sox.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use voxgate_asr_eval::audio::{ENGLISH_VOICE, telephone_speech};
use voxgate_whisper::mel::{MelFrontEnd, N_FRAMES};
use voxgate_whisper::{DecodeOptions, MelWindow, WhisperModel, pcm8k_to_16k};

fn whisper(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../whisper-models/tiny.en");
    let mut model = WhisperModel::load(&dir).unwrap_or_else(|error| panic!("{error}"));
    let pcm8 = telephone_speech("yes I am interested, please call me back", ENGLISH_VOICE)
        .unwrap_or_else(|error| panic!("{error}"));
    let pcm16 = pcm8k_to_16k(&pcm8).expect("resample");
    println!("utterance: {:.2} s", pcm8.len() as f64 / 8000.0);

    let front_end = MelFrontEnd::new(80);
    c.bench_function("whisper/log_mel_30s_window", |b| {
        b.iter(|| front_end.log_mel(black_box(&pcm16), N_FRAMES).expect("mel"));
    });

    let mut group = c.benchmark_group("whisper");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for (name, window) in [
        ("tiny_en_utterance_full_window", MelWindow::Full),
        (
            "tiny_en_utterance_short_window",
            MelWindow::Utterance {
                margin_ms: 1000,
                min_ms: 0,
            },
        ),
    ] {
        let options = DecodeOptions {
            window,
            ..DecodeOptions::default()
        };
        let text = model.transcribe(&pcm16, &options).expect("decode").text;
        println!("{name}: {text:?}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let pcm16 = pcm8k_to_16k(black_box(&pcm8)).expect("resample");
                model.transcribe(&pcm16, &options).expect("decode")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, whisper);
criterion_main!(benches);
