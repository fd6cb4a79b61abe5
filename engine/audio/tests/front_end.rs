//! The voice front end end to end in virtual time, with a loudness VAD and a pass-through
//! suppressor standing in for Silero and WebRTC NS.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{LoudnessVad, PassThrough, rms, signal};
use voxgate_audio::AudioError;
use voxgate_audio::endpointing::{EndpointingOverrides, VoiceEvent};
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};

/// Events with the index of the 10 ms frame after which they came out, and utterance audio.
struct Run {
    events: Vec<(u64, VoiceEvent)>,
    audio: Vec<Vec<i16>>,
}

fn drain(front: &mut VoiceFrontEnd, frame: u64, run: &mut Run) {
    while let Some(event) = front.poll_event() {
        if matches!(event, VoiceEvent::UtteranceEnded(_)) {
            run.audio
                .push(front.take_utterance_audio().expect("utterance audio"));
        }
        run.events.push((frame, event));
    }
}

/// Pushes `pcm` in 10 ms frames starting at frame 0 of `t0`; calls `at_frame` before each.
fn feed(
    front: &mut VoiceFrontEnd,
    t0: Instant,
    pcm: &[i16],
    mut at_frame: impl FnMut(&mut VoiceFrontEnd, u64, Instant),
) -> Run {
    let per_frame = front.input_rate() as usize / 100;
    let mut run = Run {
        events: Vec::new(),
        audio: Vec::new(),
    };
    for (k, frame) in pcm.chunks(per_frame).enumerate() {
        let k = k as u64;
        let now = t0 + Duration::from_millis(10 * k);
        at_frame(front, k, now);
        front.push_frame(now, frame).expect("push");
        drain(front, k, &mut run);
    }
    run
}

fn front_end(input_rate: u32, vad_chunk: usize, suppressor: Option<PassThrough>) -> VoiceFrontEnd {
    let config = FrontEndConfig {
        input_rate,
        ..FrontEndConfig::default()
    };
    let vad = Box::new(LoudnessVad::new(8_000, vad_chunk));
    let suppressor = suppressor.map(|s| Box::new(s) as _);
    VoiceFrontEnd::new(config, vad, suppressor).expect("front end")
}

fn first(run: &Run, pred: impl Fn(&VoiceEvent) -> bool) -> Option<&(u64, VoiceEvent)> {
    run.events.iter().find(|(_, e)| pred(e))
}

#[test]
fn utterance_comes_with_its_audio_and_pre_and_post_roll() {
    let pcm = signal(8_000, 400, |k| (100..200).contains(&k), 0.5);
    let mut front = front_end(8_000, 80, None);
    let run = feed(&mut front, Instant::now(), &pcm, |_, _, _| {});
    assert!(matches!(
        run.events[0],
        (119, VoiceEvent::SpeechStarted { .. })
    ));
    let (frame, VoiceEvent::UtteranceEnded(utterance)) = &run.events[1] else {
        panic!("{:?}", run.events);
    };
    assert_eq!(*frame, 269);
    assert_eq!(utterance.frames, 100..200);
    assert_eq!(run.audio.len(), 1);
    // 300 ms before frame 100, 300 ms after frame 200, sample for sample.
    assert_eq!(run.audio[0], pcm[100 * 80 - 2_400..200 * 80 + 2_400]);
}

#[test]
fn barge_in_latency_is_min_speech_plus_vad_chunk_granularity() {
    for speech_start in 100usize..110 {
        let pcm = signal(8_000, 300, |k| k >= speech_start, 0.5);
        let mut front = front_end(8_000, 256, None);
        let run = feed(&mut front, Instant::now(), &pcm, |front, k, now| {
            if k == 0 {
                front.prompt_started(now, &EndpointingOverrides::NONE);
            }
        });
        let (barge_frame, _) =
            first(&run, |e| matches!(e, VoiceEvent::BargeIn { .. })).expect("barge-in");
        // The frame on which the first 256-sample chunk holding speech completes.
        let chunk = speech_start * 80 / 256;
        let chunk_done_frame = ((chunk + 1) * 256).div_ceil(80) as u64 - 1;
        let latency = barge_frame + 1 - speech_start as u64;
        assert_eq!(latency, 20 + chunk_done_frame - speech_start as u64);
        assert!((20..=24).contains(&latency), "latency {latency} frames");
    }
}

#[test]
fn opus_rate_input_is_resampled_for_the_vad_and_the_utterance_audio() {
    let pcm = signal(48_000, 400, |k| (100..200).contains(&k), 0.5);
    let mut front = front_end(48_000, 256, None);
    let run = feed(&mut front, Instant::now(), &pcm, |_, _, _| {});
    let ended: Vec<_> = run
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            VoiceEvent::UtteranceEnded(u) => Some(u.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ended.len(), 1);
    let frames = &ended[0].frames;
    assert!((100..=104).contains(&frames.start), "{frames:?}");
    assert!((200..=204).contains(&frames.end), "{frames:?}");
    let audio = &run.audio[0];
    assert!(audio.len() >= 100 * 80, "{} samples", audio.len());
    let speech = &audio[2_400 + 800..2_400 + 7_200];
    let expected = 0.5 * 32_767.0 / 2f64.sqrt();
    assert!(
        (rms(speech) / expected - 1.0).abs() < 0.05,
        "rms {}",
        rms(speech)
    );
}

#[test]
fn suppressor_at_another_rate_sits_between_resamplers() {
    let counted = Arc::new(AtomicUsize::new(0));
    let suppressor = PassThrough {
        rate: 48_000,
        frames: Arc::clone(&counted),
    };
    let pcm = signal(8_000, 400, |k| (100..200).contains(&k), 0.5);
    let mut front = front_end(8_000, 256, Some(suppressor));
    assert!(front.analysis_delay() > Duration::ZERO);
    let run = feed(&mut front, Instant::now(), &pcm, |_, _, _| {});
    let processed = counted.load(Ordering::Relaxed);
    assert!((398..=400).contains(&processed), "{processed} frames");
    let (_, VoiceEvent::UtteranceEnded(utterance)) =
        first(&run, |e| matches!(e, VoiceEvent::UtteranceEnded(_))).expect("utterance")
    else {
        unreachable!()
    };
    assert!((100..=106).contains(&utterance.frames.start));
    assert!((200..=206).contains(&utterance.frames.end));
}

#[test]
fn barge_in_off_utterances_are_held_with_their_own_audio() {
    let loud = signal(8_000, 600, |k| (50..100).contains(&k), 0.6);
    let quiet = signal(8_000, 600, |k| (250..300).contains(&k), 0.2);
    let pcm: Vec<i16> = loud.iter().zip(&quiet).map(|(a, b)| a + b).collect();
    let mut front = front_end(8_000, 80, None);
    let run = feed(&mut front, Instant::now(), &pcm, |front, k, now| match k {
        0 => front.prompt_started(now, &EndpointingOverrides::barge_in(false)),
        500 => front.prompt_finished(now),
        _ => {}
    });
    assert!(first(&run, |e| matches!(e, VoiceEvent::BargeIn { .. })).is_none());
    let ended: Vec<u64> = run
        .events
        .iter()
        .filter(|(_, e)| matches!(e, VoiceEvent::UtteranceEnded(_)))
        .map(|(frame, _)| *frame)
        .collect();
    // Both reported on the frame the prompt finished (pushed right after the call).
    assert_eq!(ended, vec![500, 500]);
    assert_eq!(run.audio.len(), 2);
    let peak = |audio: &[i16]| audio.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(peak(&run.audio[0]) > 19_000, "first is the loud one");
    assert!(peak(&run.audio[1]) < 7_000, "second is the quiet one");
}

#[test]
fn twenty_ms_pushes_equal_two_ten_ms_pushes() {
    let pcm = signal(8_000, 300, |k| (40..120).contains(&k), 0.5);
    let t0 = Instant::now();
    let mut tens = front_end(8_000, 256, None);
    let ten_events = feed(&mut tens, t0, &pcm, |_, _, _| {}).events;
    let mut twenties = front_end(8_000, 256, None);
    let mut events = Vec::new();
    for (k, frame) in pcm.chunks(160).enumerate() {
        twenties
            .push_frame(t0 + Duration::from_millis(20 * k as u64), frame)
            .expect("push");
        events.extend(std::iter::from_fn(|| twenties.poll_event()));
    }
    let ten_only: Vec<VoiceEvent> = ten_events.into_iter().map(|(_, e)| e).collect();
    assert_eq!(events, ten_only);
    assert_eq!(events.len(), 2);
}

#[test]
fn bad_frames_and_bad_settings_are_errors() {
    let mut front = front_end(8_000, 256, None);
    let err = front
        .push_frame(Instant::now(), &[0; 100])
        .expect_err("not 10 ms");
    assert!(matches!(
        err,
        AudioError::FrameLength {
            expected: 80,
            actual: 100
        }
    ));
    assert!(front.push_frame(Instant::now(), &[]).is_err());
    let config = FrontEndConfig {
        input_rate: 8_050,
        ..FrontEndConfig::default()
    };
    let vad = Box::new(LoudnessVad::new(8_000, 256));
    assert!(VoiceFrontEnd::new(config, vad, None).is_err());
    let vad = Box::new(LoudnessVad::new(8_000, 0));
    assert!(VoiceFrontEnd::new(FrontEndConfig::default(), vad, None).is_err());
}

#[test]
fn a_failing_vad_chunk_is_reported_and_the_stream_goes_on() {
    let mut vad = LoudnessVad::new(8_000, 80);
    vad.fail_every = 7;
    let mut front =
        VoiceFrontEnd::new(FrontEndConfig::default(), Box::new(vad), None).expect("front end");
    let pcm = signal(8_000, 300, |k| (50..150).contains(&k), 0.5);
    let t0 = Instant::now();
    let mut errors = 0;
    let mut events = Vec::new();
    for (k, frame) in pcm.chunks(80).enumerate() {
        if front
            .push_frame(t0 + Duration::from_millis(10 * k as u64), frame)
            .is_err()
        {
            errors += 1;
        }
        events.extend(std::iter::from_fn(|| front.poll_event()));
    }
    assert_eq!(errors, 300 / 7);
    // A failed chunk keeps the previous probability, so the utterance stays whole.
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[1], VoiceEvent::UtteranceEnded(u) if u.frames == (50..150)));
}

#[test]
fn no_input_after_listen_runs_on_pushed_silence() {
    let pcm = signal(8_000, 700, |_| false, 0.0);
    let mut front = front_end(8_000, 256, None);
    let run = feed(&mut front, Instant::now(), &pcm, |front, k, now| {
        if k == 100 {
            front.listen(
                now,
                &EndpointingOverrides {
                    no_input_ms: Some(3_000),
                    ..EndpointingOverrides::NONE
                },
            );
        }
    });
    assert_eq!(run.events.len(), 1);
    assert!(matches!(run.events[0], (400, VoiceEvent::NoInput { .. })));
}
