//! The voice front end on a real call: baresip talks over voxgate's prompt. The prompt must stop
//! where the speech began (after `min_speech_ms`), the recording must show the cut, and speech
//! and DTMF in the same call must both land in the record.

use std::process::Command;
use std::time::Duration;

use voxgate_tests::{
    AnswerMode, Baresip, BaresipOptions, ENERGY_THRESHOLD, LOOPBACK_TRUNK, TempDir, Voxgate, Wav,
    ivr_route, require_peers, wav,
};

/// Seconds of silence before the caller speaks.
const SPEECH_AT: f64 = 1.5;

fn route(barge_in: bool) -> String {
    format!(
        "{LOOPBACK_TRUNK}\n{}",
        ivr_route(
            "welcome.wav",
            4,
            &format!("endpointing = {{ barge_in = {barge_in} }}")
        )
    )
}

/// Silence, then a spoken sentence, then silence: the caller's side of the call.
fn caller_audio(dir: &TempDir) -> std::path::PathBuf {
    let speech = dir.join("speech.wav");
    wav::write_speech(
        &speech,
        "Hello, I am interested. Please tell me more about it.",
        None,
    )
    .expect("espeak");
    let lead = dir.join("lead.wav");
    wav::write_silence(&lead, Duration::from_secs_f64(SPEECH_AT), 8000).expect("silence");
    let tail = dir.join("tail.wav");
    wav::write_silence(&tail, Duration::from_secs(30), 8000).expect("silence");
    let out = dir.join("caller.wav");
    let status = Command::new("sox")
        .args([&lead, &speech, &tail])
        .arg(&out)
        .status()
        .expect("sox");
    assert!(status.success());
    out
}

fn utterances(record: &serde_json::Value) -> Vec<&serde_json::Value> {
    record["voice"]
        .as_array()
        .expect("voice timeline")
        .iter()
        .filter(|e| e["kind"] == "utterance")
        .collect()
}

#[test]
fn speech_over_the_prompt_cuts_it_and_digits_still_count() {
    require_peers!("baresip", "espeak-ng", "sox");
    let engine = Voxgate::start(&route(true)).expect("engine");
    let dir = TempDir::new("barge-in").expect("temp dir");
    let mut caller =
        Baresip::start(BaresipOptions::new(caller_audio(&dir)).answer_mode(AnswerMode::Manual))
            .expect("baresip");
    let r = &engine
        .take_call(&mut caller, "1000", Duration::from_secs(7), "7#")
        .expect("call");
    // Speech and DTMF both in the record.
    assert_eq!(r["digits"], "7", "record: {r:#}");
    let said = utterances(r);
    assert!(!said.is_empty(), "no utterance in {:#}", r["voice"]);
    assert_eq!(
        said[0]["barge_in"], true,
        "the first utterance barged in: {:#}",
        r["voice"]
    );
    // The prompt (5.4 s long) was cut shortly after the speech began.
    let prompt = r["voice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "prompt")
        .expect("prompt in timeline");
    let cut_ms = prompt["cut_at_ms"].as_u64().expect("prompt was cut") as f64 / 1000.0;
    let speech_ms = said[0]["start_ms"].as_u64().unwrap() as f64 / 1000.0;
    assert!(
        (SPEECH_AT - 0.3..SPEECH_AT + 1.0).contains(&speech_ms),
        "speech detected at {speech_ms} s"
    );
    let latency = cut_ms - speech_ms;
    assert!(
        (0.15..=0.5).contains(&latency),
        "cut {latency:.3} s after the speech began (min_speech 200 ms + VAD chunk)"
    );
    assert_eq!(r["prompts"][0]["cut"], true);

    // The recording shows it: bot channel loud before the cut, silent after it while the caller talks.
    let rec = Wav::read_complete(r["recording"].as_str().unwrap(), Duration::from_secs(5))
        .expect("recording");
    let at = |s: f64| Duration::from_secs_f64(s.max(0.0));
    assert!(
        rec.has_energy_between(1, at(0.2), at(cut_ms - 0.1), ENERGY_THRESHOLD),
        "prompt before the cut"
    );
    assert!(
        rec.is_silent_between(1, at(cut_ms + 0.05), at(cut_ms + 1.0), ENERGY_THRESHOLD),
        "no prompt after the cut"
    );
    assert!(
        rec.has_energy_between(0, at(cut_ms), at(cut_ms + 1.0), ENERGY_THRESHOLD),
        "the caller's speech on the left"
    );
}

#[test]
fn with_barge_in_off_the_prompt_plays_out_and_the_speech_is_still_reported() {
    require_peers!("baresip", "espeak-ng", "sox");
    let engine = Voxgate::start(&route(false)).expect("engine");
    let dir = TempDir::new("no-barge-in").expect("temp dir");
    let mut caller =
        Baresip::start(BaresipOptions::new(caller_audio(&dir)).answer_mode(AnswerMode::Manual))
            .expect("baresip");
    let r = &engine
        .take_call(&mut caller, "1000", Duration::from_secs(7), "#")
        .expect("call");
    assert_eq!(r["prompts"][0]["cut"], false, "record: {r:#}");
    let said = utterances(r);
    assert!(
        !said.is_empty(),
        "speech over an uninterruptible prompt is still captured: {:#}",
        r["voice"]
    );
    assert_eq!(said[0]["barge_in"], false);
    assert_eq!(said[0]["over_prompt"], true);
    let prompt_end = r["voice"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "prompt")
        .unwrap()["end_ms"]
        .as_u64()
        .unwrap();
    assert!(
        said[0]["reported_ms"].as_u64().unwrap() >= prompt_end,
        "reported after the prompt"
    );
}
