//! The voice timeline: entries from voice and playback events, in ms, serialised for records.

use std::sync::Arc;
use std::time::{Duration, Instant};

use voxgate_audio::endpointing::{Utterance, UtteranceEnd, VoiceEvent};
use voxgate_audio::playback::PlaybackEvent;
use voxgate_audio::timeline::{TimelineEntry, VoiceTimeline};

#[test]
fn entries_come_from_events_in_milliseconds_and_serialise() {
    let origin = Instant::now();
    let ms = |v: u64| origin + Duration::from_millis(v);
    let mut timeline = VoiceTimeline::new(origin);
    let prompt: Arc<str> = "greeting".into();
    timeline.record_playback(&PlaybackEvent::Started {
        prompt: Arc::clone(&prompt),
        at: ms(0),
    });
    timeline.record_playback(&PlaybackEvent::Cut {
        prompt: Arc::clone(&prompt),
        started: ms(0),
        at: ms(1_460),
        frames_played: 73,
    });
    assert_eq!(
        timeline.record_voice(
            ms(1_460),
            &VoiceEvent::BargeIn {
                at: ms(1_460),
                speech_start: ms(1_250)
            }
        ),
        None
    );
    let utterance = Utterance {
        start: ms(1_250),
        end: ms(2_900),
        frames: 125..290,
        barged_in: true,
        over_prompt: true,
        ended_by: UtteranceEnd::Silence,
    };
    let index = timeline
        .record_voice(ms(3_600), &VoiceEvent::UtteranceEnded(utterance))
        .expect("utterance entry");
    assert!(timeline.set_transcript(index, "not interested"));
    assert!(!timeline.set_transcript(0, "prompt entries take no text"));
    timeline.record_playback(&PlaybackEvent::Finished {
        prompt: "bye".into(),
        started: ms(4_000),
        at: ms(5_000),
    });
    timeline.record_voice(
        ms(10_000),
        &VoiceEvent::NoInput {
            at: ms(10_000),
            since: ms(5_000),
        },
    );

    let entries = timeline.into_entries();
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries[0],
        TimelineEntry::Prompt {
            name: "greeting".into(),
            start_ms: 0,
            end_ms: 1_460,
            cut_at_ms: Some(1_460)
        }
    );
    let json = serde_json::to_value(&entries).expect("serialise");
    assert_eq!(
        json[1],
        serde_json::json!({
            "kind": "utterance", "start_ms": 1250, "end_ms": 2900, "reported_ms": 3600,
            "barge_in": true, "over_prompt": true, "ended_by": "silence",
            "transcript": "not interested"
        })
    );
    assert_eq!(
        json[2],
        serde_json::json!({"kind": "prompt", "name": "bye", "start_ms": 4000, "end_ms": 5000})
    );
    assert_eq!(
        json[3],
        serde_json::json!({"kind": "no_input", "since_ms": 5000, "at_ms": 10000})
    );
    let back: Vec<TimelineEntry> = serde_json::from_value(json).expect("deserialise");
    assert_eq!(back, entries);
}
