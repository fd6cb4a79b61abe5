//! Silero VAD (tract) per 32 ms chunk at 8 kHz: one stream, and N streams batched in one
//! inference (throughput in calls: divide the time by N for the per-call cost). Also the
//! webrtc-vad baseline per 10 ms frame.
//!
//! Needs `vad-models/silero_vad_op18_ifless.onnx` (run `vad-models/fetch`).

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use voxgate_audio::vad::{
    SILERO_VAD_MODEL_SHA256, SileroModel, SileroVad, VoiceActivityDetector, WebRtcVad,
    WebRtcVadMode,
};

fn model() -> Arc<SileroModel> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vad-models/silero_vad_op18_ifless.onnx");
    SileroModel::load(&path, SILERO_VAD_MODEL_SHA256).unwrap_or_else(|error| panic!("{error}"))
}

/// A 32 ms chunk per stream: a two-tone signal, varied by stream so batch rows differ.
fn chunk(stream: usize) -> Vec<f32> {
    (0..256)
        .map(|i| {
            let t = (i + stream * 37) as f32 / 8000.0;
            0.2 * (t * 440.0 * std::f32::consts::TAU).sin()
                + 0.1 * (t * (1250.0 + stream as f32) * std::f32::consts::TAU).sin()
        })
        .collect()
}

fn silero(c: &mut Criterion) {
    let model = model();
    let mut vad = SileroVad::new(model.clone()).expect("detector");
    let input = chunk(0);
    c.bench_function("vad/silero_8k_32ms_chunk/single_stream", |b| {
        b.iter(|| black_box(vad.process(black_box(&input)).expect("inference")))
    });

    let mut group = c.benchmark_group("vad/silero_8k_32ms_chunk/batched");
    for calls in [8usize, 32, 128] {
        let chunks: Vec<Vec<f32>> = (0..calls).map(chunk).collect();
        let inputs: Vec<&[f32]> = chunks.iter().map(Vec::as_slice).collect();
        let mut states: Vec<_> = (0..calls).map(|_| model.new_state()).collect();
        group.throughput(Throughput::Elements(calls as u64));
        group.bench_with_input(BenchmarkId::from_parameter(calls), &calls, |b, _| {
            b.iter(|| {
                black_box(
                    model
                        .infer_batch(black_box(&inputs), &mut states)
                        .expect("batch"),
                )
            })
        });
    }
    group.finish();

    let mut webrtc = WebRtcVad::new(WebRtcVadMode::Aggressive);
    let frame = &input[..80];
    c.bench_function("vad/webrtc_vad_8k_10ms_frame", |b| {
        b.iter(|| black_box(webrtc.process(black_box(frame)).expect("frame")))
    });
}

criterion_group!(benches, silero);
criterion_main!(benches);
