//! The per-frame path allocates nothing: front end (every rate path), playback, mixer and
//! recorder, checked by a counting global allocator (`assert_no_alloc` in warn mode, so a
//! violation fails the assertion instead of aborting).
//!
//! Handing out a finished utterance allocates its segment by design, so the speech here starts
//! but does not end inside the checked region.

mod common;

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use assert_no_alloc::{AllocDisabler, assert_no_alloc, reset_violation_count, violation_count};
use common::{LoudnessVad, PassThrough, signal};
use voxgate_audio::endpointing::{EndpointingOverrides, VoiceEvent};
use voxgate_audio::front_end::{FrontEndConfig, VoiceFrontEnd};
use voxgate_audio::mixer::BackgroundMixer;
use voxgate_audio::playback::{Playback, Prompt};
use voxgate_audio::recorder::StereoWavRecorder;
use voxgate_codecs::Codec;

#[global_allocator]
static ALLOCATOR: AllocDisabler = AllocDisabler;

fn check_front_end(input_rate: u32, vad_rate: u32, vad_chunk: usize, suppressor_rate: Option<u32>) {
    let config = FrontEndConfig {
        input_rate,
        ..FrontEndConfig::default()
    };
    let suppressor = suppressor_rate.map(|rate| {
        Box::new(PassThrough {
            rate,
            frames: Arc::new(AtomicUsize::new(0)),
        }) as _
    });
    let vad = Box::new(LoudnessVad::new(vad_rate, vad_chunk));
    let mut front = VoiceFrontEnd::new(config, vad, suppressor).expect("front end");
    // Speech from frame 300 to the end: SpeechStarted and BargeIn happen, no utterance ends.
    let pcm = signal(input_rate, 1_000, |k| k >= 300, 0.5);
    let per_frame = input_rate as usize / 100;
    let t0 = Instant::now();
    let mut events = 0;
    reset_violation_count();
    assert_no_alloc(|| {
        front.prompt_started(t0, &EndpointingOverrides::NONE);
        for (k, frame) in pcm.chunks(per_frame).enumerate() {
            let now = t0 + Duration::from_millis(10 * k as u64);
            front.push_frame(now, frame).expect("push");
            while let Some(event) = front.poll_event() {
                if matches!(event, VoiceEvent::BargeIn { .. }) {
                    front.prompt_finished(now);
                }
                events += 1;
            }
        }
    });
    assert_eq!(
        violation_count(),
        0,
        "allocations on the frame path: input {input_rate} Hz, VAD {vad_rate} Hz, NS {suppressor_rate:?}"
    );
    assert_eq!(events, 2, "speech started and barge-in");
}

#[test]
fn front_end_frames_do_not_allocate_on_any_rate_path() {
    // The checker itself sees allocations.
    reset_violation_count();
    assert_no_alloc(|| drop(std::hint::black_box(vec![1u8; 16])));
    assert!(violation_count() > 0);
    check_front_end(8_000, 8_000, 256, None);
    check_front_end(8_000, 8_000, 80, Some(8_000));
    check_front_end(8_000, 8_000, 256, Some(48_000));
    check_front_end(8_000, 16_000, 512, None);
    check_front_end(48_000, 8_000, 256, None);
    check_front_end(48_000, 8_000, 256, Some(48_000));
}

#[test]
fn playback_mixing_and_recording_do_not_allocate() {
    let prompt = Arc::new(Prompt::from_pcm_8k("p", &vec![1_000i16; 160 * 20]));
    let bed = Arc::new(Prompt::from_pcm_8k("bed", &vec![300i16; 160 * 7]));
    let mut playback = Playback::new();
    let mut mixer = BackgroundMixer::new(bed, -12.0);
    let mut storage = vec![0u8; 1 << 20];
    let mut recorder =
        StereoWavRecorder::new(Cursor::new(&mut storage[..]), 8_000).expect("recorder");
    let mut out = [0i16; 160];
    let t0 = Instant::now();
    playback.play(t0, [Arc::clone(&prompt), Arc::clone(&prompt)]);
    let mut sent = 0usize;
    reset_violation_count();
    assert_no_alloc(|| {
        for tick in 0..100u64 {
            let now = t0 + Duration::from_millis(20 * tick);
            if tick == 30 {
                playback.stop(now);
            }
            let frame = playback.next_frame(now);
            if let Some(frame) = &frame {
                sent += frame.encoded(Codec::Pcmu).map_or(0, <[u8]>::len);
            }
            mixer.mix(frame.map(|f| f.pcm()), &mut out);
            recorder.write_frame(&[0; 160], &out).expect("record");
            while playback.poll_event().is_some() {}
        }
    });
    assert_eq!(violation_count(), 0, "allocations on the outbound path");
    assert_eq!(sent, 30 * 160);
    recorder.finish().expect("finish");
}
