//! Calls driven by a dialogue plugin: the call emits events, the test plays the plugin's part
//! and feeds actions back, in virtual time.

use std::time::{Duration, Instant};

use voxgate_call::*;

fn setup() -> CallSetup {
    CallSetup {
        call_id: "p1".into(),
        direction: Direction::Inbound,
        trunk: None,
        route: Some("bot".into()),
        from: "sip:a@127.0.0.1".into(),
        to: "2000".into(),
        remote_address: None,
        ring_timeout: None,
        recording: None,
        max_duration: Duration::from_secs(600),
        fallback_prompt: Some("sorry.wav".into()),
    }
}

fn clock(t0: Instant) -> WallClock {
    WallClock {
        instant: t0,
        unix_ms: 1_700_000_000_000,
    }
}

fn drain(call: &mut Call) -> Vec<Action> {
    std::iter::from_fn(|| call.poll_action()).collect()
}

fn events(actions: &[Action]) -> Vec<BotEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Dialogue(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn file(id: &str) -> PromptPart {
    PromptPart::File(id.into())
}

fn say(text: &str) -> MediaInput {
    MediaInput::Utterance {
        transcript: Transcript::Recognized {
            text: text.into(),
            confidence: 0.9,
        },
        duration_ms: 800,
        barged_in: false,
    }
}

fn dtmf(digit: char) -> MediaInput {
    MediaInput::Dtmf {
        digit,
        source: DtmfSource::Rfc4733,
        duration_ms: Some(100),
    }
}

/// An answered inbound plugin call at `t0`, with its start events drained.
fn answered(t0: Instant) -> Call {
    let mut call = Call::inbound(t0, clock(t0), setup(), Dialogue::Plugin);
    let first = drain(&mut call);
    assert_eq!(
        first,
        [
            Action::Dialogue(BotEvent::Started),
            Action::Ring,
            Action::Answer
        ]
    );
    call.handle_signal(t0, Signal::Confirmed);
    assert_eq!(drain(&mut call), [Action::Dialogue(BotEvent::Answered)]);
    call
}

#[test]
fn a_conversation_records_rounds_tags_score_and_level() {
    let t0 = Instant::now();
    let mut call = answered(t0);
    call.handle_bot_actions(
        t0,
        vec![
            BotAction::Play {
                parts: vec![PromptPart::Tts("Hello ${name}".into())],
                barge_in: Some(true),
            },
            BotAction::NoteRound(RoundNote {
                node: "opening".into(),
                ..RoundNote::default()
            }),
        ],
    );
    assert!(matches!(
        &drain(&mut call)[..],
        [Action::Play {
            barge_in: Some(true),
            ..
        }]
    ));
    let t1 = t0 + Duration::from_secs(3);
    call.handle_media(t1, MediaInput::PlaybackFinished);
    assert_eq!(
        events(&drain(&mut call)),
        [BotEvent::PlaybackFinished { cut: false }]
    );
    let t2 = t1 + Duration::from_secs(2);
    call.handle_media(t2, say("yes I am interested"));
    assert!(matches!(
        &events(&drain(&mut call))[..],
        [BotEvent::Utterance { .. }]
    ));
    call.handle_bot_actions(
        t2 + Duration::from_millis(5),
        vec![
            BotAction::NoteRound(RoundNote {
                node: "needs".into(),
                intent: Some("positive".into()),
                keywords: vec!["interested".into()],
            }),
            BotAction::Tag("interested".into()),
            BotAction::Tag("interested".into()),
            BotAction::AddScore(10),
            BotAction::Play {
                parts: vec![file("offer.wav")],
                barge_in: Some(false),
            },
        ],
    );
    drain(&mut call);
    call.handle_bot_actions(
        t2 + Duration::from_secs(1),
        vec![BotAction::HangUp {
            final_prompt: vec![file("bye.wav")],
        }],
    );
    let out = drain(&mut call);
    assert!(
        matches!(&out[..], [Action::Play { parts, barge_in: Some(false) }] if parts == &[file("bye.wav")]),
        "{out:?}"
    );
    let t3 = t2 + Duration::from_secs(3);
    call.handle_media(t3, MediaInput::PlaybackFinished);
    assert_eq!(drain(&mut call), [Action::Hangup]);
    call.handle_signal(t3, Signal::HangupComplete);
    assert!(call.is_finished());
    let hangup = events(&drain(&mut call));
    assert!(
        matches!(
            &hangup[..],
            [BotEvent::Hangup {
                by: HangupBy::Bot,
                ..
            }]
        ),
        "{hangup:?}"
    );
    // The plugin's answer to the hang-up still reaches the record.
    call.handle_bot_actions(
        t3,
        vec![
            BotAction::SetLevel("A".into()),
            BotAction::Play {
                parts: vec![file("ignored.wav")],
                barge_in: None,
            },
        ],
    );
    assert_eq!(drain(&mut call), []);
    let r = call.record();
    assert_eq!(r.tags, ["interested"]);
    assert_eq!(r.score, 10);
    assert_eq!(r.level.as_deref(), Some("A"));
    assert_eq!(r.rounds.len(), 1);
    let round = &r.rounds[0];
    assert_eq!(round.at_ms, 5_000);
    assert_eq!(round.reply, ["offer.wav"]);
    assert_eq!(round.reply_ms, Some(5_005));
    assert_eq!(round.note.as_ref().map(|n| n.node.as_str()), Some("needs"));
    assert!(
        matches!(&round.input, RoundInput::Utterance { text: Some(t), .. } if t == "yes I am interested")
    );
    assert_eq!(r.prompts.len(), 3);
    let json = serde_json::to_value(r).expect("serialise");
    assert_eq!(json["rounds"][0]["node"], "needs");
    assert_eq!(json["rounds"][0]["input"]["kind"], "utterance");
}

#[test]
fn collection_waits_for_the_prompt_and_a_digit_cuts_it() {
    let t0 = Instant::now();
    let mut call = answered(t0);
    let spec = DigitCollection {
        max_digits: 1,
        terminator: None,
        timeout: Duration::from_secs(4),
    };
    call.handle_bot_actions(
        t0,
        vec![
            BotAction::Play {
                parts: vec![file("menu.wav")],
                barge_in: Some(true),
            },
            BotAction::CollectDigits(spec.clone()),
        ],
    );
    drain(&mut call);
    assert_eq!(
        call.poll_timeout(),
        Some(t0 + Duration::from_secs(600)),
        "no digit time-out yet"
    );
    // Silence while collecting is the collector's business, not a round.
    call.handle_media(t0 + Duration::from_secs(1), MediaInput::NoInput);
    assert_eq!(drain(&mut call), []);
    call.handle_media(t0 + Duration::from_secs(2), dtmf('1'));
    let out = drain(&mut call);
    assert_eq!(out[0], Action::StopPlayback);
    assert_eq!(
        events(&out),
        [
            BotEvent::Dtmf('1'),
            BotEvent::DigitsCollected {
                digits: "1".into(),
                done: DigitsDone::MaxDigits
            }
        ]
    );
    assert!(call.record().prompts[0].cut);
    assert!(
        matches!(&call.record().rounds[0].input, RoundInput::Digits { digits } if digits == "1")
    );

    // A second collection after the prompt times out with nothing.
    call.handle_bot_actions(
        t0 + Duration::from_secs(3),
        vec![BotAction::CollectDigits(spec)],
    );
    assert_eq!(call.poll_timeout(), Some(t0 + Duration::from_secs(7)));
    call.handle_timeout(t0 + Duration::from_secs(7));
    assert_eq!(
        events(&drain(&mut call)),
        [BotEvent::DigitsCollected {
            digits: String::new(),
            done: DigitsDone::Timeout
        }]
    );
}

#[test]
fn timers_fire_in_order_and_can_be_cancelled() {
    let t0 = Instant::now();
    let mut call = answered(t0);
    call.handle_bot_actions(
        t0,
        vec![
            BotAction::StartTimer {
                id: "late".into(),
                after: Duration::from_secs(5),
            },
            BotAction::StartTimer {
                id: "soon".into(),
                after: Duration::from_secs(1),
            },
            BotAction::StartTimer {
                id: "never".into(),
                after: Duration::from_secs(2),
            },
            BotAction::CancelTimer("never".into()),
        ],
    );
    assert_eq!(call.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    call.handle_timeout(t0 + Duration::from_secs(1));
    assert_eq!(
        events(&drain(&mut call)),
        [BotEvent::TimerFired("soon".into())]
    );
    assert_eq!(call.poll_timeout(), Some(t0 + Duration::from_secs(5)));
    call.handle_timeout(t0 + Duration::from_secs(6));
    assert_eq!(
        events(&drain(&mut call)),
        [BotEvent::TimerFired("late".into())]
    );
}

#[test]
fn a_plugin_fault_plays_the_fallback_and_hangs_up() {
    let t0 = Instant::now();
    let mut call = answered(t0);
    call.handle_bot_actions(
        t0,
        vec![BotAction::Play {
            parts: vec![file("hello.wav")],
            barge_in: Some(true),
        }],
    );
    drain(&mut call);
    let t1 = t0 + Duration::from_secs(1);
    call.handle_dialogue_fault(t1, "trap".into(), "unreachable executed".into());
    let out = drain(&mut call);
    assert!(
        matches!(&out[..], [Action::Play { parts, barge_in: Some(false) }] if parts == &[file("sorry.wav")]),
        "{out:?}"
    );
    assert!(
        call.record().prompts[0].cut,
        "the fallback replaced the prompt"
    );
    // Whatever the broken plugin still sends is ignored; no more events go to it.
    call.handle_bot_actions(t1, vec![BotAction::Tag("late".into())]);
    call.handle_media(t1, dtmf('5'));
    assert_eq!(drain(&mut call), []);
    call.handle_media(t1 + Duration::from_secs(2), MediaInput::PlaybackFinished);
    assert_eq!(drain(&mut call), [Action::Hangup]);
    call.handle_signal(t1 + Duration::from_secs(2), Signal::HangupComplete);
    let r = call.record();
    assert!(call.is_finished());
    assert!(r.tags.is_empty());
    assert_eq!(r.faults.len(), 1);
    assert_eq!(r.faults[0].kind, "trap");
    assert_eq!(r.faults[0].at_ms, 1_000);
}

#[test]
fn a_fault_before_the_answer_cancels_an_outbound_call() {
    let t0 = Instant::now();
    let setup = CallSetup {
        direction: Direction::Outbound,
        ring_timeout: Some(Duration::from_secs(30)),
        ..setup()
    };
    let mut call = Call::outbound(t0, clock(t0), setup, Dialogue::Plugin);
    assert_eq!(drain(&mut call), [Action::Dialogue(BotEvent::Started)]);
    call.handle_dialogue_fault(t0, "timeout".into(), "budget".into());
    assert_eq!(drain(&mut call), [Action::Cancel]);
}

#[test]
fn transfer_is_recorded_with_its_result() {
    let t0 = Instant::now();
    let mut call = answered(t0);
    call.handle_bot_actions(
        t0,
        vec![BotAction::Transfer(TransferTarget::AgentGroup(
            "sales".into(),
        ))],
    );
    assert_eq!(
        drain(&mut call),
        [Action::Transfer(TransferTarget::AgentGroup("sales".into()))]
    );
    call.transfer_result(t0, "sales".into(), false, "no agents".into());
    assert_eq!(
        events(&drain(&mut call)),
        [BotEvent::TransferResult {
            target: "sales".into(),
            connected: false,
            detail: "no agents".into()
        }]
    );
    assert_eq!(call.record().transfers[0].connected, Some(false));
}
