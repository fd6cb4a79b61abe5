//! Prompt sequences played frame by frame: order, events, cuts, replacement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use voxgate_audio::playback::{PROMPT_FRAME_SAMPLES, Playback, PlaybackEvent, Prompt};
use voxgate_codecs::Codec;

/// A prompt of `frames` 20 ms frames whose samples all equal `value`.
fn piece(name: &str, frames: usize, value: i16) -> Arc<Prompt> {
    Arc::new(Prompt::from_pcm_8k(
        name,
        &vec![value; frames * PROMPT_FRAME_SAMPLES],
    ))
}

struct Clock {
    t0: Instant,
    tick: u64,
}

impl Clock {
    fn at(&self, tick: u64) -> Instant {
        self.t0 + Duration::from_millis(20 * tick)
    }
}

/// Plays `ticks` ticks; returns the first sample of each frame (None for silence).
fn run(playback: &mut Playback, clock: &mut Clock, ticks: u64) -> Vec<Option<i16>> {
    (0..ticks)
        .map(|_| {
            let now = clock.at(clock.tick);
            clock.tick += 1;
            playback.next_frame(now).map(|frame| frame.pcm()[0])
        })
        .collect()
}

fn events(playback: &mut Playback) -> Vec<PlaybackEvent> {
    std::iter::from_fn(|| playback.poll_event()).collect()
}

#[test]
fn pieces_play_in_order_with_start_and_end_events() {
    let mut clock = Clock {
        t0: Instant::now(),
        tick: 0,
    };
    let mut playback = Playback::new();
    let (a, b) = (piece("a", 3, 1), piece("b", 2, 2));
    playback.play(clock.at(0), [Arc::clone(&a), Arc::clone(&b)]);
    assert!(playback.is_active());
    let frames = run(&mut playback, &mut clock, 8);
    assert_eq!(
        frames,
        vec![
            Some(1),
            Some(1),
            Some(1),
            Some(2),
            Some(2),
            None,
            None,
            None
        ]
    );
    let at = |tick| clock.at(tick);
    assert_eq!(
        events(&mut playback),
        vec![
            PlaybackEvent::Started {
                prompt: "a".into(),
                at: at(0)
            },
            PlaybackEvent::Finished {
                prompt: "a".into(),
                started: at(0),
                at: at(3)
            },
            PlaybackEvent::Started {
                prompt: "b".into(),
                at: at(3)
            },
            PlaybackEvent::Finished {
                prompt: "b".into(),
                started: at(3),
                at: at(5)
            },
            PlaybackEvent::SequenceFinished { at: at(5) },
        ]
    );
    assert!(!playback.is_active());
}

#[test]
fn stop_cuts_at_the_current_frame_and_drops_the_queue() {
    let mut clock = Clock {
        t0: Instant::now(),
        tick: 0,
    };
    let mut playback = Playback::new();
    playback.play(clock.at(0), [piece("long", 50, 5), piece("next", 5, 6)]);
    let played = run(&mut playback, &mut clock, 7);
    assert!(played.iter().all(|&f| f == Some(5)));
    assert!(playback.stop(clock.at(7)));
    assert_eq!(run(&mut playback, &mut clock, 3), vec![None, None, None]);
    let events = events(&mut playback);
    assert_eq!(
        events.last(),
        Some(&PlaybackEvent::Cut {
            prompt: "long".into(),
            started: clock.at(0),
            at: clock.at(7),
            frames_played: 7
        })
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, PlaybackEvent::SequenceFinished { .. }))
    );
    assert!(!playback.stop(clock.at(10)), "nothing left to stop");
}

#[test]
fn play_replaces_what_plays() {
    let mut clock = Clock {
        t0: Instant::now(),
        tick: 0,
    };
    let mut playback = Playback::new();
    playback.play(clock.at(0), [piece("first", 10, 1)]);
    run(&mut playback, &mut clock, 2);
    playback.play(clock.at(2), [piece("second", 2, 2)]);
    assert_eq!(
        run(&mut playback, &mut clock, 3),
        vec![Some(2), Some(2), None]
    );
    let events = events(&mut playback);
    assert!(matches!(
        &events[1],
        PlaybackEvent::Cut { prompt, frames_played: 2, .. } if prompt.as_ref() == "first"
    ));
    assert!(
        matches!(&events[2], PlaybackEvent::Started { prompt, .. } if prompt.as_ref() == "second")
    );
}

#[test]
fn frames_carry_their_prompt_index_and_cached_encoding() {
    let samples: Vec<i16> = (0..320).map(|i| i as i16 * 50).collect();
    let prompt = Arc::new(Prompt::from_pcm_8k("ramp", &samples));
    let mut playback = Playback::new();
    let now = Instant::now();
    playback.enqueue(Arc::clone(&prompt));
    let frame = playback.next_frame(now).expect("first frame");
    assert_eq!(frame.index(), 0);
    assert_eq!(frame.pcm(), &samples[..160]);
    assert_eq!(
        frame.encoded(Codec::Pcma),
        prompt.encoded_frame(Codec::Pcma, 0)
    );
    let frame = playback.next_frame(now).expect("second frame");
    assert_eq!(frame.index(), 1);
    assert_eq!(frame.pcm(), &samples[160..]);
    assert_eq!(frame.prompt().name().as_ref(), "ramp");
}

#[test]
fn enqueue_while_idle_starts_on_the_next_tick() {
    let mut clock = Clock {
        t0: Instant::now(),
        tick: 0,
    };
    let mut playback = Playback::new();
    assert_eq!(run(&mut playback, &mut clock, 2), vec![None, None]);
    playback.enqueue(piece("late", 1, 9));
    assert_eq!(run(&mut playback, &mut clock, 2), vec![Some(9), None]);
    assert_eq!(events(&mut playback).len(), 3);
}
