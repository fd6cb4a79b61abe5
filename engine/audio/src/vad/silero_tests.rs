//! Tests of the Silero detector: loading and checksums, known behaviour on speech, silence and
//! noise, batched inference equal to per-stream inference.

use super::*;
use crate::vad::DEFAULT_SPEECH_THRESHOLD;
use crate::vad::test_support::{model, model_path, speech_8k, white_noise};

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("voxgate-vad-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

fn probabilities(vad: &mut SileroVad, samples: &[f32]) -> Vec<f32> {
    samples
        .chunks_exact(vad.chunk_samples())
        .map(|chunk| vad.process(chunk).expect("inference"))
        .collect()
}

#[test]
fn missing_model_names_the_path_and_the_fetch_command() {
    let error = SileroModel::load("/nonexistent/silero.onnx", SILERO_VAD_MODEL_SHA256).unwrap_err();
    assert!(
        matches!(error, VadError::ModelUnreadable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("/nonexistent/silero.onnx"), "{message}");
    assert!(message.contains("vad-models/fetch"), "{message}");
}

#[test]
fn wrong_checksum_is_refused_before_loading() {
    let path = temp_file("wrong.onnx", b"not the silero model");
    let error = SileroModel::load(&path, SILERO_VAD_MODEL_SHA256).unwrap_err();
    std::fs::remove_file(&path).ok();
    match &error {
        VadError::ModelChecksum {
            expected, actual, ..
        } => {
            assert_eq!(expected, SILERO_VAD_MODEL_SHA256);
            assert_eq!(actual, &hex_sha256(b"not the silero model"));
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert!(
        error.to_string().contains("vad-models/fetch --force"),
        "{error}"
    );
}

#[test]
fn file_with_matching_checksum_but_not_a_model_fails_to_load() {
    let bytes = b"\x08\x07garbage that is not protobuf";
    let path = temp_file("garbage.onnx", bytes);
    let error = SileroModel::load(&path, &hex_sha256(bytes).to_uppercase()).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(matches!(error, VadError::ModelLoad { .. }), "{error:?}");
}

#[test]
fn manifest_pins_the_checksum_the_engine_expects() {
    let manifest = std::fs::read_to_string(model_path().with_file_name("manifest.toml"))
        .expect("vad-models/manifest.toml is in the repository");
    let pinned = format!("sha256 = \"{SILERO_VAD_MODEL_SHA256}\"");
    assert!(
        manifest.lines().any(|line| line.trim() == pinned),
        "manifest lacks {pinned}"
    );
}

#[test]
fn detector_is_send_and_model_is_shareable() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<SileroVad>();
    send_sync::<SileroModel>();
}

#[test]
fn english_and_mandarin_speech_score_high() {
    let Some(model) = model() else { return };
    for (text, voice) in [
        (
            "Hello, this is a call about your account. Do you have a minute to talk?",
            "en",
        ),
        ("你好，这里是客服中心，请问您现在方便接听电话吗？", "cmn"),
    ] {
        let Some(speech) = speech_8k(text, voice) else {
            return;
        };
        let mut vad = SileroVad::new(model.clone()).expect("detector");
        let scores = probabilities(&mut vad, &speech);
        let speech_chunks = scores
            .iter()
            .filter(|&&p| p >= DEFAULT_SPEECH_THRESHOLD)
            .count();
        let peak = scores.iter().copied().fold(0.0, f32::max);
        assert!(peak > 0.9, "{voice}: peak probability {peak}");
        // espeak leaves short pauses between words; most of the clip is still voiced.
        assert!(
            speech_chunks * 2 > scores.len(),
            "{voice}: {speech_chunks}/{} chunks",
            scores.len()
        );
    }
}

#[test]
fn silence_and_white_noise_score_low() {
    let Some(model) = model() else { return };
    let mut vad = SileroVad::new(model.clone()).expect("detector");
    let silence = probabilities(&mut vad, &vec![0.0; 8000 * 3]);
    assert!(silence.iter().all(|&p| p < 0.1), "silence: {silence:?}");
    for amplitude in [0.01, 0.1, 0.5] {
        vad.reset();
        let noise = probabilities(&mut vad, &white_noise(8000 * 3, amplitude, 7));
        let speech = noise
            .iter()
            .filter(|&&p| p >= DEFAULT_SPEECH_THRESHOLD)
            .count();
        assert_eq!(speech, 0, "white noise at {amplitude}: {noise:?}");
    }
}

#[test]
fn batch_inference_equals_one_stream_at_a_time() {
    let Some(model) = model() else { return };
    let Some(speech) = speech_8k("One two three four five six seven", "en") else {
        return;
    };
    let chunk = model.chunk_samples();
    let streams: Vec<Vec<f32>> = (0..8)
        .map(|stream| {
            let mut samples = white_noise(chunk * 24, 0.02 * stream as f32, stream as u64 + 1);
            for (sample, voice) in samples.iter_mut().skip(stream * 500).zip(&speech) {
                *sample += voice;
            }
            samples
        })
        .collect();
    let mut singles: Vec<SileroVad> = (0..streams.len())
        .map(|_| SileroVad::new(model.clone()).expect("detector"))
        .collect();
    let mut states: Vec<SileroState> = (0..streams.len()).map(|_| model.new_state()).collect();
    for step in 0..24 {
        let inputs: Vec<&[f32]> = streams
            .iter()
            .map(|samples| &samples[step * chunk..(step + 1) * chunk])
            .collect();
        let batched = model.infer_batch(&inputs, &mut states).expect("batch");
        for ((single, input), batched) in singles.iter_mut().zip(&inputs).zip(&batched) {
            let alone = single.process(input).expect("single");
            assert!(
                (alone - batched).abs() < 1e-4,
                "step {step}: {alone} vs {batched}"
            );
        }
    }
}

#[test]
fn reset_starts_the_stream_over() {
    let Some(model) = model() else { return };
    let Some(speech) = speech_8k("Please hold the line", "en") else {
        return;
    };
    let mut vad = SileroVad::new(model).expect("detector");
    let first = probabilities(&mut vad, &speech);
    vad.reset();
    let again = probabilities(&mut vad, &speech);
    assert_eq!(first, again);
}

#[test]
fn wrong_shapes_are_errors_not_panics() {
    let Some(model) = model() else { return };
    let mut vad = SileroVad::new(model.clone()).expect("detector");
    assert!(matches!(
        vad.process(&[0.0; 255]),
        Err(VadError::ChunkLength {
            expected: 256,
            actual: 255
        })
    ));
    let chunk = [0.0; 256];
    let mut one_state = vec![model.new_state()];
    assert!(matches!(
        model.infer_batch(&[&chunk, &chunk], &mut one_state),
        Err(VadError::BatchMismatch {
            inputs: 2,
            states: 1
        })
    ));
    let mut wide_state = vec![SileroState::new(SileroSampleRate::Hz16000)];
    assert!(matches!(
        model.infer_batch(&[&chunk], &mut wide_state),
        Err(VadError::StateRate {
            state_hz: 16000,
            model_hz: 8000
        })
    ));
    assert_eq!(
        model.infer_batch(&[], &mut []).expect("empty batch"),
        Vec::<f32>::new()
    );
}

#[test]
fn sixteen_khz_model_loads_from_the_same_file() {
    let Some(_) = model() else { return };
    let wide = SileroModel::load_with_rate(
        model_path(),
        SILERO_VAD_MODEL_SHA256,
        SileroSampleRate::Hz16000,
    )
    .expect("16 kHz model");
    let mut vad = SileroVad::new(wide).expect("detector");
    assert_eq!((vad.sample_rate(), vad.chunk_samples()), (16000, 512));
    let p = vad.process(&[0.0; 512]).expect("inference");
    assert!(p < 0.1, "silence at 16 kHz: {p}");
}
#[test]
fn matches_onnxruntime_on_a_recorded_fixture() {
    let Some(model) = model() else { return };
    let samples: Vec<f32> = include_bytes!("fixtures/speech_en_8k.s16le")
        .chunks_exact(2)
        .map(|pair| f32::from(i16::from_le_bytes([pair[0], pair[1]])) / 32768.0)
        .collect();
    let reference: Vec<f32> = include_str!("fixtures/speech_en_8k.onnxruntime.txt")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.parse().expect("probability"))
        .collect();
    let mut vad = SileroVad::new(model).expect("detector");
    let ours = probabilities(&mut vad, &samples);
    assert_eq!(ours.len(), reference.len());
    for (chunk, (ours, reference)) in ours.iter().zip(&reference).enumerate() {
        assert!(
            (ours - reference).abs() < 1e-4,
            "chunk {chunk}: tract {ours}, onnxruntime {reference}"
        );
    }
}

#[test]
fn detector_reuses_its_input_tensors_between_chunks() {
    let Some(model) = model() else { return };
    let mut vad = SileroVad::new(model).expect("detector");
    let input = Arc::as_ptr(&vad.buffers.input);
    let state = Arc::as_ptr(&vad.buffers.state);
    for _ in 0..3 {
        vad.process(&[0.1; 256]).expect("inference");
        // tract released its references, so the next chunk is written in place, not copied.
        assert_eq!(Arc::strong_count(&vad.buffers.input), 1);
        assert_eq!(Arc::strong_count(&vad.buffers.state), 1);
    }
    assert_eq!(Arc::as_ptr(&vad.buffers.input), input);
    assert_eq!(Arc::as_ptr(&vad.buffers.state), state);
}
