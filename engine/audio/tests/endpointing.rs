//! Endpointing rules in virtual time: one probability per 10 ms frame, no clock.

use std::time::{Duration, Instant};

use voxgate_audio::endpointing::{
    Endpointer, EndpointingConfig, EndpointingOverrides, SegmentEdge, UtteranceEnd, VoiceEvent,
};

const SPEECH: f32 = 0.9;
const SILENCE: f32 = 0.05;

/// An endpointer driven frame by frame, recording every event with the frame it came out on.
struct Sim {
    ep: Endpointer,
    t0: Instant,
    frame: u64,
    events: Vec<(u64, VoiceEvent)>,
    edges: Vec<(u64, SegmentEdge)>,
}

impl Sim {
    fn new(config: EndpointingConfig) -> Self {
        Self {
            ep: Endpointer::new(config),
            t0: Instant::now(),
            frame: 0,
            events: Vec::new(),
            edges: Vec::new(),
        }
    }

    fn at(&self, frame: u64) -> Instant {
        self.t0 + Duration::from_millis(frame * 10)
    }

    fn now(&self) -> Instant {
        self.at(self.frame)
    }

    fn feed(&mut self, probability: f32, frames: u64) {
        for _ in 0..frames {
            let now = self.now();
            if let Some(edge) = self.ep.push_frame(now, probability) {
                self.edges.push((self.frame, edge));
            }
            self.drain();
            self.frame += 1;
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.ep.poll_event() {
            self.events.push((self.frame, event));
        }
    }

    fn take(&mut self) -> Vec<(u64, VoiceEvent)> {
        std::mem::take(&mut self.events)
    }
}

fn utterances(events: &[(u64, VoiceEvent)]) -> Vec<(u64, voxgate_audio::endpointing::Utterance)> {
    events
        .iter()
        .filter_map(|(frame, event)| match event {
            VoiceEvent::UtteranceEnded(u) => Some((*frame, u.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn speech_shorter_than_min_speech_never_counts() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SILENCE, 10);
    for _ in 0..20 {
        sim.feed(SPEECH, 19);
        sim.feed(SILENCE, 1);
    }
    sim.feed(SILENCE, 200);
    assert!(sim.events.is_empty(), "{:?}", sim.events);
    assert!(sim.edges.is_empty());
}

#[test]
fn utterance_boundaries_are_exact_frames() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SILENCE, 10);
    sim.feed(SPEECH, 50);
    sim.feed(SILENCE, 100);
    let events = sim.take();
    // Counts on the 20th voiced frame (frame 29), ends on the 70th silent frame (frame 129).
    assert_eq!(
        events[0],
        (
            29,
            VoiceEvent::SpeechStarted {
                start: sim.at(10),
                at: sim.at(29),
                over_prompt: false
            }
        )
    );
    let ended = utterances(&events);
    assert_eq!(ended.len(), 1);
    let (frame, utterance) = &ended[0];
    assert_eq!(*frame, 129);
    assert_eq!(utterance.start, sim.at(10));
    assert_eq!(utterance.end, sim.at(60));
    assert_eq!(utterance.frames, 10..60);
    assert_eq!(utterance.ended_by, UtteranceEnd::Silence);
    assert!(!utterance.barged_in && !utterance.over_prompt);
    assert_eq!(
        sim.edges,
        vec![
            (29, SegmentEdge::Started { first_frame: 10 }),
            (129, SegmentEdge::Ended { frames: 10..60 })
        ]
    );
}

#[test]
fn pauses_shorter_than_end_silence_keep_one_utterance_and_hysteresis_holds_speech() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SPEECH, 30);
    sim.feed(SILENCE, 69);
    sim.feed(0.4, 30); // below start, above continue: still speech
    sim.feed(SILENCE, 70);
    let ended = utterances(&sim.take());
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1.frames, 0..129);
}

#[test]
fn probabilities_between_the_thresholds_do_not_start_speech() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(0.45, 500);
    assert!(sim.events.is_empty());
}

#[test]
fn barge_in_latency_is_min_speech_in_frames() {
    for min_speech_ms in [200u32, 250, 300, 10] {
        let mut sim = Sim::new(EndpointingConfig::default());
        sim.ep.prompt_started(
            sim.now(),
            &EndpointingOverrides {
                min_speech_ms: Some(min_speech_ms),
                ..EndpointingOverrides::NONE
            },
        );
        sim.feed(SILENCE, 7);
        sim.feed(SPEECH, 100);
        let events = sim.take();
        let barge = events
            .iter()
            .find(|(_, e)| matches!(e, VoiceEvent::BargeIn { .. }))
            .expect("barge-in");
        let latency_frames = barge.0 - 7 + 1;
        assert_eq!(
            latency_frames,
            u64::from(min_speech_ms.div_ceil(10)),
            "min_speech_ms {min_speech_ms}"
        );
        assert_eq!(
            barge.1,
            VoiceEvent::BargeIn {
                at: sim.at(barge.0),
                speech_start: sim.at(7)
            }
        );
        let barges = events
            .iter()
            .filter(|(_, e)| matches!(e, VoiceEvent::BargeIn { .. }))
            .count();
        assert_eq!(barges, 1, "one barge-in per prompt");
    }
}

#[test]
fn barged_in_utterance_is_reported_at_its_end_and_marked() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::barge_in(true));
    sim.feed(SPEECH, 40);
    sim.ep.prompt_finished(sim.now()); // the caller stopped playback
    sim.feed(SILENCE, 70);
    let ended = utterances(&sim.take());
    assert_eq!(ended.len(), 1);
    assert!(ended[0].1.barged_in && ended[0].1.over_prompt);
    assert_eq!(ended[0].0, 109);
}

#[test]
fn noise_bursts_during_a_prompt_do_not_barge_in() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::NONE);
    // A deterministic pseudo-random burst pattern: bursts of 1..=19 frames.
    let mut seed = 0x2545_f491_u32;
    for _ in 0..300 {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let burst = u64::from(seed >> 28) + 1 + u64::from((seed >> 8) & 3);
        sim.feed(SPEECH, burst.min(19));
        sim.feed(0.2, u64::from((seed >> 16) & 7) + 1);
    }
    assert!(sim.events.is_empty(), "{:?}", &sim.events[..1]);
}

#[test]
fn barge_in_off_captures_speech_and_reports_after_the_prompt() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::barge_in(false));
    sim.feed(SPEECH, 30);
    sim.feed(SILENCE, 100);
    sim.feed(SPEECH, 25);
    sim.feed(SILENCE, 100);
    let during = sim.take();
    assert!(
        during.iter().all(|(_, e)| matches!(
            e,
            VoiceEvent::SpeechStarted {
                over_prompt: true,
                ..
            }
        )),
        "{during:?}"
    );
    assert_eq!(during.len(), 2);
    // Both segment ends were reported to the audio owner when they happened.
    assert_eq!(sim.edges.len(), 4);

    sim.ep.prompt_finished(sim.now());
    sim.drain();
    let ended = utterances(&sim.take());
    assert_eq!(ended.len(), 2);
    assert_eq!(ended[0].1.frames, 0..30);
    assert_eq!(ended[1].1.frames, 130..155);
    assert!(
        ended
            .iter()
            .all(|(frame, u)| *frame == 255 && u.over_prompt && !u.barged_in)
    );
}

#[test]
fn barge_in_off_utterance_running_at_prompt_end_is_reported_at_its_end() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::barge_in(false));
    sim.feed(SPEECH, 40);
    sim.ep.prompt_finished(sim.now());
    sim.drain();
    assert!(utterances(&sim.events).is_empty());
    sim.feed(SPEECH, 10);
    sim.feed(SILENCE, 70);
    let ended = utterances(&sim.take());
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].1.frames, 0..50);
    assert_eq!(ended[0].0, 119);
}

#[test]
fn prompt_started_during_speech_barges_in_on_the_next_voiced_frame() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SPEECH, 30);
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::NONE);
    sim.feed(SPEECH, 1);
    let events = sim.take();
    assert!(matches!(
        events.last(),
        Some((30, VoiceEvent::BargeIn { .. }))
    ));
}

#[test]
fn no_input_fires_once_after_no_input_ms_from_listen() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SILENCE, 20);
    sim.ep.listen(sim.now(), &EndpointingOverrides::NONE);
    sim.feed(SILENCE, 1000);
    let events = sim.take();
    assert_eq!(
        events,
        vec![(
            520,
            VoiceEvent::NoInput {
                at: sim.at(520),
                since: sim.at(20)
            }
        )]
    );
}

#[test]
fn no_input_uses_the_listen_override_and_speech_disarms_it() {
    let mut sim = Sim::new(EndpointingConfig::default());
    let over = EndpointingOverrides {
        no_input_ms: Some(2_000),
        ..EndpointingOverrides::NONE
    };
    sim.ep.listen(sim.now(), &over);
    sim.feed(SILENCE, 150);
    sim.feed(SPEECH, 30);
    sim.feed(SILENCE, 500);
    let events = sim.take();
    assert!(
        !events
            .iter()
            .any(|(_, e)| matches!(e, VoiceEvent::NoInput { .. }))
    );
    assert_eq!(utterances(&events).len(), 1);

    sim.ep.listen(sim.now(), &over);
    let listened = sim.frame;
    sim.feed(SILENCE, 250);
    let events = sim.take();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, listened + 200);
}

#[test]
fn an_onset_in_progress_delays_no_input() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep.listen(sim.now(), &EndpointingOverrides::NONE);
    sim.feed(SILENCE, 495);
    sim.feed(SPEECH, 10); // onset straddles the deadline at frame 500, then fails
    sim.feed(SILENCE, 5);
    let events = sim.take();
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], (505, VoiceEvent::NoInput { .. })));
}

#[test]
fn no_input_fires_from_handle_timeout_without_frames() {
    let mut sim = Sim::new(EndpointingConfig::default());
    let start = sim.now();
    sim.ep.listen(start, &EndpointingOverrides::NONE);
    assert_eq!(sim.ep.poll_timeout(), Some(start + Duration::from_secs(5)));
    sim.ep.handle_timeout(start + Duration::from_millis(4_999));
    assert_eq!(sim.ep.poll_event(), None);
    sim.ep.handle_timeout(start + Duration::from_secs(5));
    assert!(matches!(
        sim.ep.poll_event(),
        Some(VoiceEvent::NoInput { .. })
    ));
    assert_eq!(sim.ep.poll_timeout(), None);
}

#[test]
fn prompt_start_disarms_no_input() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep.listen(sim.now(), &EndpointingOverrides::NONE);
    sim.feed(SILENCE, 100);
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::NONE);
    sim.feed(SILENCE, 1000);
    assert!(sim.events.is_empty());
}

#[test]
fn max_utterance_cuts_long_speech_and_speech_resumes_counting() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.feed(SPEECH, 2_000);
    sim.feed(SILENCE, 100);
    let events = sim.take();
    let ended = utterances(&events);
    assert_eq!(ended.len(), 2);
    assert_eq!(ended[0].0, 1_499);
    assert_eq!(ended[0].1.frames, 0..1_500);
    assert_eq!(ended[0].1.end, sim.at(1_500));
    assert_eq!(ended[0].1.ended_by, UtteranceEnd::MaxDuration);
    // The rest counts again after min_speech: frames 1500..2000.
    assert_eq!(ended[1].1.frames, 1_500..2_000);
    assert_eq!(ended[1].1.ended_by, UtteranceEnd::Silence);
    let starts: Vec<u64> = events
        .iter()
        .filter(|(_, e)| matches!(e, VoiceEvent::SpeechStarted { .. }))
        .map(|(frame, _)| *frame)
        .collect();
    assert_eq!(starts, vec![19, 1_519]);
}

#[test]
fn utterances_held_by_one_piece_wait_for_the_end_of_the_sequence_or_a_barge_in() {
    let mut sim = Sim::new(EndpointingConfig::default());
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::barge_in(false));
    sim.feed(SPEECH, 30);
    sim.feed(SILENCE, 80);
    assert!(utterances(&sim.take()).is_empty());
    // The next piece of the sequence allows barge-in: still held.
    sim.ep
        .prompt_started(sim.now(), &EndpointingOverrides::NONE);
    sim.drain();
    sim.feed(SILENCE, 10);
    assert!(sim.take().is_empty());
    // The callee barges into it: the held utterance comes out first, then the new speech.
    sim.feed(SPEECH, 20);
    let events = sim.take();
    assert!(matches!(&events[0].1, VoiceEvent::UtteranceEnded(u) if u.frames == (0..30)));
    assert!(matches!(events[1].1, VoiceEvent::SpeechStarted { .. }));
    assert!(matches!(events[2].1, VoiceEvent::BargeIn { .. }));
    assert_eq!(events.len(), 3);
}
