//! The front end with the real parts: WebRTC noise suppression and Silero VAD (tract) on
//! espeak-ng speech in noise. Needs `vad-models/` fetched and espeak-ng; skips loudly without
//! them, and fails instead when `CI` is set (CI runs `scripts/bootstrap`).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use voxgate_audio::denoise::{SuppressorConfig, WebRtcSuppressor};
use voxgate_audio::endpointing::{EndpointingOverrides, VoiceEvent};
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
use voxgate_audio::playback::Prompt;
use voxgate_audio::vad::{SILERO_VAD_MODEL_SHA256, SileroModel, SileroVad};

fn skip(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} (CI is set, so this fails instead of skipping)"
    );
    eprintln!("SKIPPED: {what}");
}

fn front_end() -> Option<VoiceFrontEnd> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vad-models/silero_vad_op18_ifless.onnx");
    let model = match SileroModel::load(&path, SILERO_VAD_MODEL_SHA256) {
        Ok(model) => model,
        Err(err) => {
            skip(&format!("Silero model unavailable: {err}"));
            return None;
        }
    };
    let vad = Box::new(SileroVad::new(model).expect("detector"));
    let suppressor =
        Box::new(WebRtcSuppressor::new(8_000, SuppressorConfig::default()).expect("suppressor"));
    Some(VoiceFrontEnd::new(FrontEndConfig::default(), vad, Some(suppressor)).expect("front end"))
}

/// `text` spoken by espeak-ng, decoded and resampled to 8 kHz by the prompt decoder.
fn speech(text: &str, voice: &str) -> Option<Vec<i16>> {
    let output = Command::new("espeak-ng")
        .args(["-v", voice, "--stdout", "--", text])
        .output();
    match output {
        Ok(output) if output.status.success() => {
            let prompt = Prompt::decode("speech", output.stdout, Some("wav")).expect("espeak wav");
            let len = (prompt.duration().as_millis() * 8) as usize;
            Some(prompt.pcm()[..len].to_vec())
        }
        _ => {
            skip("espeak-ng is not available");
            None
        }
    }
}

/// Deterministic white noise, peak `amplitude` in i16 units.
fn noise(samples: usize, amplitude: f32, seed: u64) -> Vec<i16> {
    let mut state = seed | 1;
    (0..samples)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (((state >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * amplitude) as i16
        })
        .collect()
}

/// First 10 ms frame of `clean` whose level is clearly speech.
fn first_speech_frame(clean: &[i16]) -> usize {
    clean
        .chunks(80)
        .position(|frame| common::rms(frame) > 500.0)
        .expect("speech in the clip")
}

#[test]
fn speech_in_noise_barges_in_promptly_and_forms_one_utterance() {
    let Some(mut front) = front_end() else { return };
    let Some(words) = speech("No thank you, I am not interested right now.", "en") else {
        return;
    };
    let lead = 8_000; // 1 s of noise before the speech
    let mut pcm = noise(lead + words.len() + 16_000, 600.0, 7);
    for (sample, word) in pcm[lead..].iter_mut().zip(&words) {
        *sample = sample.saturating_add(*word);
    }
    let speech_frame = (lead / 80 + first_speech_frame(&words)) as u64;

    let t0 = Instant::now();
    front.prompt_started(t0, &EndpointingOverrides::NONE);
    let mut events = Vec::new();
    let mut audio = Vec::new();
    for (k, frame) in pcm.chunks_exact(80).enumerate() {
        front
            .push_frame(t0 + Duration::from_millis(10 * k as u64), frame)
            .expect("push");
        while let Some(event) = front.poll_event() {
            if matches!(event, VoiceEvent::UtteranceEnded(_)) {
                audio.push(front.take_utterance_audio().expect("audio"));
            }
            events.push((k as u64, event));
        }
    }
    let barge = events
        .iter()
        .find(|(_, e)| matches!(e, VoiceEvent::BargeIn { .. }))
        .expect("barge-in")
        .0;
    // min_speech (20 frames) + one 32 ms chunk + model/suppressor reaction.
    let latency = barge + 1 - speech_frame;
    eprintln!("barge-in {latency} frames after the speech onset");
    assert!(
        (20..=40).contains(&latency),
        "barge-in {latency} frames after speech"
    );
    let utterances: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            VoiceEvent::UtteranceEnded(u) => Some(u.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(utterances.len(), 1, "{events:?}");
    assert!(utterances[0].barged_in);
    let spoken_ms = words.len() as u64 / 8;
    let heard_ms = (utterances[0].frames.end - utterances[0].frames.start) * 10;
    eprintln!("utterance {heard_ms} ms for {spoken_ms} ms of espeak audio");
    assert!(
        heard_ms + 400 >= spoken_ms && heard_ms <= spoken_ms + 400,
        "heard {heard_ms} ms of {spoken_ms} ms"
    );
    assert!(audio[0].len() >= words.len() / 2);
}

#[test]
fn ten_seconds_of_noise_never_count_as_speech() {
    let Some(mut front) = front_end() else { return };
    let t0 = Instant::now();
    front.prompt_started(t0, &EndpointingOverrides::NONE);
    let pcm = noise(80_000, 3_000.0, 11);
    for (k, frame) in pcm.chunks_exact(80).enumerate() {
        front
            .push_frame(t0 + Duration::from_millis(10 * k as u64), frame)
            .expect("push");
        assert_eq!(front.poll_event(), None, "frame {k}");
    }
}
