//! Jitter buffer behaviour under reordering, loss, duplication, late packets and delay spikes.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{FRAME, Rng, numbered_payload, payload_number};
use voxgate_rtp::jitter_buffer::{InsertOutcome, MAX_CONCEALED_FRAMES};
use voxgate_rtp::{JitterBuffer, JitterBufferConfig, PlayoutFrame};

fn buffer(min_ms: u64, max_ms: u64) -> JitterBuffer {
    JitterBuffer::new(JitterBufferConfig {
        frame: FRAME,
        min_delay: Duration::from_millis(min_ms),
        max_delay: Duration::from_millis(max_ms),
        payload_capacity: 160,
    })
}

/// What a pop returned, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Played {
    Audio(u64),
    Concealed(u64),
    Silence,
}

fn pop(buffer: &mut JitterBuffer, now: Instant) -> Played {
    match buffer.pop(now) {
        PlayoutFrame::Audio(payload) => Played::Audio(payload_number(payload)),
        PlayoutFrame::Concealed(payload) => Played::Concealed(payload_number(payload)),
        PlayoutFrame::Silence => Played::Silence,
    }
}

#[test]
fn in_order_stream_plays_every_frame_after_min_delay() {
    let start = Instant::now();
    let mut buffer = buffer(40, 200);
    let mut played = Vec::new();
    for tick in 0..100u64 {
        let now = start + FRAME * tick as u32;
        assert_eq!(
            buffer.insert(now, tick as u16, &numbered_payload(tick)),
            InsertOutcome::Buffered
        );
        played.push(pop(&mut buffer, now));
    }
    assert_eq!(played[0], Played::Silence, "waits for the 40 ms minimum");
    assert_eq!(played[1], Played::Audio(0));
    assert!(
        played[1..]
            .iter()
            .enumerate()
            .all(|(index, frame)| *frame == Played::Audio(index as u64))
    );
    assert_eq!(buffer.stats().concealed, 0);
    assert_eq!(buffer.current_delay(), FRAME);
}

#[test]
fn reordered_and_duplicated_packets_play_once_in_order() {
    let start = Instant::now();
    let mut buffer = buffer(60, 200);
    let mut outcomes = Vec::new();
    // Arrival order: pairs swapped, every fifth packet duplicated.
    let mut arrivals = Vec::new();
    for pair in 0..50u64 {
        arrivals.push(pair * 2 + 1);
        arrivals.push(pair * 2);
    }
    let mut played = Vec::new();
    let mut tick = 0u32;
    for chunk in arrivals.chunks(2) {
        let now = start + FRAME * tick;
        for &seq in chunk {
            outcomes.push(buffer.insert(now, seq as u16, &numbered_payload(seq)));
            if seq % 5 == 0 {
                assert_eq!(
                    buffer.insert(now, seq as u16, &numbered_payload(seq)),
                    InsertOutcome::Duplicate
                );
            }
        }
        // Two frames arrive per 40 ms: tick twice.
        played.push(pop(&mut buffer, now));
        played.push(pop(&mut buffer, now + FRAME));
        tick += 2;
    }
    assert!(
        outcomes
            .iter()
            .all(|outcome| *outcome == InsertOutcome::Buffered)
    );
    let audio: Vec<u64> = played
        .iter()
        .filter_map(|frame| match frame {
            Played::Audio(seq) => Some(*seq),
            _ => None,
        })
        .collect();
    assert!(
        audio.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "{audio:?}"
    );
    assert_eq!(audio[0], 0);
    assert_eq!(buffer.stats().duplicates, 20);
    assert_eq!(buffer.stats().lost, 0);
}

#[test]
fn loss_is_concealed_a_bounded_number_of_times() {
    let start = Instant::now();
    let mut buffer = buffer(20, 200);
    let mut played = Vec::new();
    for tick in 0..40u64 {
        let now = start + FRAME * tick as u32;
        // Frames 10 and 20..=25 never arrive.
        if tick != 10 && !(20..=25).contains(&tick) {
            buffer.insert(now, tick as u16, &numbered_payload(tick));
        }
        played.push(pop(&mut buffer, now));
    }
    assert_eq!(played[10], Played::Concealed(9));
    assert_eq!(played[11], Played::Audio(11));
    assert_eq!(
        &played[20..=25],
        &[
            Played::Concealed(19),
            Played::Concealed(19),
            Played::Concealed(19),
            Played::Silence,
            Played::Silence,
            Played::Silence,
        ]
    );
    assert!(
        played[26..]
            .iter()
            .all(|frame| matches!(frame, Played::Audio(_)))
    );
    assert_eq!(
        buffer.stats().concealed,
        1 + u64::from(MAX_CONCEALED_FRAMES)
    );
    assert_eq!(buffer.stats().lost, 7);
}

#[test]
fn late_packets_are_dropped_and_raise_the_target() {
    let start = Instant::now();
    let mut buffer = buffer(20, 200);
    let initial_target = buffer.target_delay();
    for tick in 0..10u64 {
        let now = start + FRAME * tick as u32;
        if tick != 5 {
            buffer.insert(now, tick as u16, &numbered_payload(tick));
        }
        pop(&mut buffer, now);
    }
    // Frame 5 was concealed and skipped; it arrives now.
    let outcome = buffer.insert(start + FRAME * 10, 5, &numbered_payload(5));
    assert_eq!(outcome, InsertOutcome::Late);
    assert_eq!(buffer.stats().late, 1);
    assert_eq!(buffer.target_delay(), initial_target + FRAME);
}

#[test]
fn sequence_numbers_wrap_around() {
    let start = Instant::now();
    let mut buffer = buffer(40, 200);
    let mut played = Vec::new();
    for (tick, seq) in (65530u32..65546).enumerate() {
        let now = start + FRAME * tick as u32;
        buffer.insert(now, seq as u16, &numbered_payload(u64::from(seq)));
        played.push(pop(&mut buffer, now));
    }
    let audio: Vec<u64> = played
        .iter()
        .filter_map(|frame| {
            if let Played::Audio(seq) = frame {
                Some(*seq)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(audio, (65530u64..65545).collect::<Vec<_>>());
}

#[test]
fn reset_starts_a_new_stream() {
    let start = Instant::now();
    let mut buffer = buffer(20, 200);
    buffer.insert(start, 100, &numbered_payload(100));
    assert_eq!(pop(&mut buffer, start), Played::Audio(100));
    buffer.reset();
    // A new source restarts numbering far away; nothing of it is "late".
    assert_eq!(
        buffer.insert(start + FRAME, 7, &numbered_payload(7)),
        InsertOutcome::Buffered
    );
    assert_eq!(pop(&mut buffer, start + FRAME), Played::Audio(7));
    assert_eq!(buffer.stats().resets, 1);
}

#[test]
fn non_audio_slots_play_silence_without_loss() {
    let start = Instant::now();
    let mut buffer = buffer(20, 200);
    let mut played = Vec::new();
    for tick in 0..6u64 {
        let now = start + FRAME * tick as u32;
        if (2..4).contains(&tick) {
            buffer.insert_no_audio(now, tick as u16);
        } else {
            buffer.insert(now, tick as u16, &numbered_payload(tick));
        }
        played.push(pop(&mut buffer, now));
    }
    assert_eq!(played[2..4], [Played::Silence, Played::Silence]);
    assert_eq!(played[4], Played::Audio(4));
    assert_eq!(buffer.stats().lost, 0);
    assert_eq!(buffer.stats().concealed, 0);
}

/// A simulated network: 20 ms frames with random delay, loss, duplication and rare delay spikes.
fn simulate(seed: u64, frames: u64) -> (Vec<Played>, JitterBuffer, Vec<Duration>, u64) {
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut arrivals: BTreeMap<(Duration, u64), u64> = BTreeMap::new();
    let mut spike_until = 0u64;
    let mut delivered = 0u64;
    for frame in 0..frames {
        if rng.chance(0.2) {
            spike_until = frame + 5 + rng.below(10);
        }
        if rng.chance(2.0) {
            continue; // lost
        }
        delivered += 1;
        let sent = FRAME * frame as u32;
        let mut delay = Duration::from_millis(30 + rng.below(40));
        if frame < spike_until {
            delay += Duration::from_millis(250);
        }
        arrivals.insert((sent + delay, frame * 2), frame);
        if rng.chance(1.0) {
            let extra = Duration::from_millis(rng.below(60));
            arrivals.insert((sent + delay + extra, frame * 2 + 1), frame);
        }
    }
    let mut buffer = buffer(20, 200);
    let mut played = Vec::new();
    let mut delays = Vec::new();
    let mut pending = arrivals.into_iter().peekable();
    // Playout ticks are offset from the sender's clock by 7 ms.
    for tick in 0..frames + 20 {
        let now = start + FRAME * tick as u32 + Duration::from_millis(7);
        while let Some(((at, _), frame)) = pending.next_if(|((at, _), _)| start + *at <= now) {
            let _ = at;
            buffer.insert(now, frame as u16, &numbered_payload(frame));
        }
        played.push(pop(&mut buffer, now));
        delays.push(buffer.current_delay());
    }
    (played, buffer, delays, delivered)
}

#[test]
fn simulated_network_keeps_order_bounds_delay_and_conceals_briefly() {
    for seed in [1u64, 2, 3, 42, 1234] {
        let (played, buffer, delays, delivered) = simulate(seed, 3000);
        let stats = buffer.stats();
        let audio: Vec<u64> = played
            .iter()
            .filter_map(|frame| {
                if let Played::Audio(seq) = frame {
                    Some(*seq)
                } else {
                    None
                }
            })
            .collect();
        assert!(
            audio.windows(2).all(|pair| pair[1] > pair[0]),
            "seed {seed}: out of order or repeated"
        );
        let max_delay = delays.iter().max().copied().unwrap_or_default();
        assert!(
            max_delay <= Duration::from_millis(220),
            "seed {seed}: delay {max_delay:?}"
        );
        let mut run = 0;
        for frame in &played {
            run = if matches!(frame, Played::Concealed(_)) {
                run + 1
            } else {
                0
            };
            assert!(
                run <= MAX_CONCEALED_FRAMES,
                "seed {seed}: concealment run too long"
            );
        }
        let concealed = played
            .iter()
            .filter(|frame| matches!(frame, Played::Concealed(_)))
            .count();
        assert_eq!(stats.concealed, concealed as u64, "seed {seed}");
        let played_share = audio.len() as f64 / delivered as f64;
        assert!(
            played_share > 0.93,
            "seed {seed}: played {played_share:.3} of delivered frames"
        );
        assert!(
            stats.duplicates + stats.late > 0,
            "seed {seed}: duplicates were sent"
        );
    }
}

#[test]
fn delay_spike_recovers_to_target() {
    let start = Instant::now();
    let mut buffer = buffer(20, 200);
    let mut delays = Vec::new();
    let mut played_after_spike = Vec::new();
    for tick in 0..200u64 {
        let now = start + FRAME * tick as u32;
        // Frames 50..60 are held back 200 ms and then arrive in one burst.
        match tick {
            50..=59 => {}
            60 => {
                for frame in 50..=60u64 {
                    buffer.insert(now, frame as u16, &numbered_payload(frame));
                }
            }
            _ => {
                buffer.insert(now, tick as u16, &numbered_payload(tick));
            }
        }
        let frame = pop(&mut buffer, now);
        if tick >= 60 {
            played_after_spike.push(frame);
        }
        delays.push(buffer.current_delay());
    }
    assert!(
        delays
            .iter()
            .all(|delay| *delay <= Duration::from_millis(220))
    );
    assert!(*delays.last().unwrap() <= buffer.target_delay() + 2 * FRAME);
    assert!(
        played_after_spike
            .iter()
            .all(|frame| matches!(frame, Played::Audio(_)))
    );
    assert!(buffer.stats().discarded > 0, "the burst is trimmed back");
}
