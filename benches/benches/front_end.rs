//! The whole per-call voice path for one second of a call (50 frames of 20 ms): G.711 decode,
//! noise suppression, Silero VAD, endpointing, prompt playback over a background sound, G.711
//! encode and the stereo recording. Also the prompt cache hit path alone (a pre-encoded G.711
//! frame handed out without mixing or encoding).

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use voxgate_audio::denoise::{SuppressorConfig, WebRtcSuppressor};
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
use voxgate_audio::mixer::BackgroundMixer;
use voxgate_audio::playback::{Playback, Prompt};
use voxgate_audio::recorder::StereoWavRecorder;
use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel, SileroVad};
use voxgate_codecs::Codec;

const FRAME: Duration = Duration::from_millis(20);

fn model() -> Arc<SileroModel> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../vad-models/silero_vad_op18_ifless.onnx");
    SileroModel::load(&path, SILERO_VAD_MODEL_SHA256)
        .expect("run scripts/bootstrap to fetch the VAD model")
}

/// A 1 s two-tone "voice" at 8 kHz, encoded to PCMU frames: what the callee sends.
fn inbound_frames() -> Vec<Vec<u8>> {
    (0..50)
        .map(|_| {
            let mut out = Vec::new();
            Codec::Pcmu.encode(&voxgate_benches::pcm_frame(), &mut out);
            out
        })
        .collect()
}

fn prompt(name: &str, seconds: usize) -> Arc<Prompt> {
    let pcm: Vec<i16> = voxgate_benches::pcm_frame()
        .iter()
        .copied()
        .cycle()
        .take(8000 * seconds)
        .collect();
    Arc::new(Prompt::from_pcm_8k(name, &pcm))
}

fn call_second(c: &mut Criterion) {
    let model = model();
    let vad = Box::new(SileroVad::new(model).expect("vad"));
    let ns = Box::new(WebRtcSuppressor::new(8000, SuppressorConfig::default()).expect("ns"));
    let mut front_end =
        VoiceFrontEnd::new(FrontEndConfig::default(), vad, Some(ns)).expect("front end");
    let mut decoder = Codec::Pcmu.decoder(8000).expect("decoder");
    let mut encoder = Codec::Pcmu
        .encoder(8000, &Default::default())
        .expect("encoder");
    let mut playback = Playback::new();
    let mut mixer = BackgroundMixer::new(prompt("office", 4), -20.0);
    let mut recorder =
        StereoWavRecorder::new(Cursor::new(Vec::with_capacity(32 << 20)), 8000).expect("recorder");
    let speech = prompt("speech", 600);
    let frames = inbound_frames();
    let mut now = Instant::now();
    playback.play(now, [speech.clone()]);
    let (mut received, mut sent, mut payload) = (
        Vec::with_capacity(160),
        [0i16; 160],
        Vec::with_capacity(160),
    );
    let mut seconds = 0u32;
    c.bench_function("front_end/one_call_second_pcmu_ns_vad_mix_record", |b| {
        b.iter(|| {
            for frame in &frames {
                received.clear();
                decoder.decode(frame, &mut received).expect("decode");
                front_end.push_frame(now, &received).expect("front end");
                front_end.handle_timeout(now);
                while let Some(event) = front_end.poll_event() {
                    black_box(event);
                }
                let voice = playback.next_frame(now).map(|f| f.pcm());
                mixer.mix(voice, &mut sent);
                payload.clear();
                encoder.encode(&sent, &mut payload).expect("encode");
                while playback.poll_event().is_some() {}
                recorder.write_frame(&received, &sent).expect("record");
                now += FRAME;
            }
            seconds += 1;
            // Keep the recording buffer bounded over long runs.
            if seconds.is_multiple_of(600) {
                recorder = StereoWavRecorder::new(Cursor::new(Vec::with_capacity(32 << 20)), 8000)
                    .expect("recorder");
                playback.play(now, [speech.clone()]);
            }
            black_box(&payload);
        })
    });
}

fn prompt_cache_hit(c: &mut Criterion) {
    let speech = prompt("speech", 600);
    let mut playback = Playback::new();
    let mut now = Instant::now();
    playback.play(now, [speech.clone()]);
    let mut payload = Vec::with_capacity(160);
    c.bench_function("front_end/prompt_cache_hit_pcmu_frame", |b| {
        b.iter(|| {
            payload.clear();
            match playback.next_frame(now) {
                Some(frame) => {
                    payload.extend_from_slice(frame.encoded(Codec::Pcmu).expect("pre-encoded"))
                }
                None => playback.play(now, [speech.clone()]),
            }
            while playback.poll_event().is_some() {}
            now += FRAME;
            black_box(&payload);
        })
    });
}

criterion_group!(benches, call_second, prompt_cache_hit);
criterion_main!(benches);
