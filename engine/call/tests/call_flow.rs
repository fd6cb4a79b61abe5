//! Call state machine flows in virtual time.

use std::time::{Duration, Instant};

use voxgate_call::*;

fn setup(direction: Direction) -> CallSetup {
    CallSetup {
        call_id: "c1".into(),
        direction,
        trunk: Some("t".into()),
        route: None,
        from: "sip:a@127.0.0.1".into(),
        to: "1000".into(),
        remote_address: None,
        ring_timeout: Some(Duration::from_secs(30)),
        recording: None,
        max_duration: Duration::from_secs(120),
        fallback_prompt: Some("sorry.wav".into()),
    }
}

fn ivr() -> Dialogue {
    Dialogue::Script(ivr_script())
}

fn ivr_script() -> Script {
    Script {
        prompt: Some("welcome.wav".into()),
        collect: Some(DigitCollection {
            max_digits: 4,
            terminator: Some('#'),
            timeout: Duration::from_secs(5),
        }),
        goodbye: Some("bye.wav".into()),
    }
}

fn clock(t0: Instant) -> WallClock {
    WallClock {
        instant: t0,
        unix_ms: 1_700_000_000_000,
    }
}

fn play(file: &str, barge_in: Option<bool>) -> Action {
    Action::Play {
        parts: vec![PromptPart::File(file.into())],
        barge_in,
    }
}

fn drain(call: &mut Call) -> Vec<Action> {
    std::iter::from_fn(|| call.poll_action()).collect()
}

fn dtmf(digit: char) -> MediaInput {
    MediaInput::Dtmf {
        digit,
        source: DtmfSource::Rfc4733,
        duration_ms: Some(100),
    }
}

#[test]
fn inbound_ivr_collects_digits_then_says_goodbye() {
    let t0 = Instant::now();
    let mut call = Call::inbound(t0, clock(t0), setup(Direction::Inbound), ivr());
    assert_eq!(drain(&mut call), [Action::Ring, Action::Answer]);
    call.handle_signal(t0 + Duration::from_millis(10), Signal::Confirmed);
    assert_eq!(drain(&mut call), [play("welcome.wav", None)]);
    let t1 = t0 + Duration::from_secs(3);
    call.handle_media(t1, MediaInput::PlaybackFinished);
    for (i, d) in ['1', '2', '#'].into_iter().enumerate() {
        call.handle_media(t1 + Duration::from_secs(i as u64 + 1), dtmf(d));
    }
    assert_eq!(drain(&mut call), [play("bye.wav", Some(false))]);
    call.handle_media(t1 + Duration::from_secs(6), MediaInput::PlaybackFinished);
    assert_eq!(drain(&mut call), [Action::Hangup]);
    assert!(!call.is_finished());
    call.handle_signal(t1 + Duration::from_secs(6), Signal::HangupComplete);
    assert!(call.is_finished());
    let r = call.record();
    assert_eq!(r.digits, "12");
    assert_eq!(r.digits_done, Some(DigitsDone::Terminator));
    assert_eq!(r.dtmf.len(), 3);
    assert_eq!(r.outcome, Some(Outcome::Answered));
    assert_eq!(r.hangup_by, Some(HangupBy::Bot));
    assert_eq!(r.talk_ms, Some(9_000));
    assert_eq!(r.prompts.len(), 2);
    assert!(r.prompts.iter().all(|p| !p.cut && p.end_ms.is_some()));
}

#[test]
fn digit_during_prompt_cuts_it_and_counts() {
    let t0 = Instant::now();
    let mut call = Call::inbound(t0, clock(t0), setup(Direction::Inbound), ivr());
    call.handle_signal(t0, Signal::Confirmed);
    drain(&mut call);
    call.handle_media(t0 + Duration::from_millis(700), dtmf('9'));
    assert_eq!(drain(&mut call), [Action::StopPlayback]);
    let t = t0 + Duration::from_millis(700);
    assert_eq!(call.poll_timeout(), Some(t + Duration::from_secs(5)));
    call.handle_timeout(t + Duration::from_secs(5));
    assert_eq!(drain(&mut call), [play("bye.wav", Some(false))]);
    assert_eq!(call.record().digits, "9");
    assert_eq!(call.record().digits_done, Some(DigitsDone::Timeout));
    assert!(call.record().prompts[0].cut);
    assert_eq!(call.record().prompts[0].end_ms, Some(700));
}

#[test]
fn caller_hangs_up_during_prompt() {
    let t0 = Instant::now();
    let mut call = Call::inbound(t0, clock(t0), setup(Direction::Inbound), ivr());
    call.handle_signal(t0, Signal::Confirmed);
    drain(&mut call);
    call.handle_signal(t0 + Duration::from_secs(1), Signal::RemoteHangup);
    assert!(call.is_finished());
    assert_eq!(drain(&mut call), []);
    let r = call.record();
    assert_eq!(r.hangup_by, Some(HangupBy::Remote));
    assert_eq!(r.outcome, Some(Outcome::Answered));
    assert!(r.prompts[0].cut);
    assert_eq!(call.poll_timeout(), None);
}

#[test]
fn outbound_ring_timeout_cancels_and_counts_as_no_answer() {
    let t0 = Instant::now();
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    call.handle_signal(t0 + Duration::from_secs(1), Signal::Progress { code: 180 });
    assert_eq!(call.poll_timeout(), Some(t0 + Duration::from_secs(30)));
    call.handle_timeout(t0 + Duration::from_secs(30));
    assert_eq!(drain(&mut call), [Action::Cancel]);
    call.handle_signal(
        t0 + Duration::from_millis(30_050),
        Signal::Failed {
            code: 487,
            reason: "Request Terminated".into(),
            reason_header: None,
        },
    );
    assert!(call.is_finished());
    let r = call.record();
    assert_eq!(r.outcome, Some(Outcome::NoAnswer));
    assert_eq!(r.hangup_by, Some(HangupBy::Bot));
    assert_eq!(r.ring_unix_ms, Some(1_700_000_001_000));
    assert_eq!(r.answer_unix_ms, None);
    assert_eq!(r.sip_code, Some(487));
}

#[test]
fn outbound_busy_is_remote_and_busy() {
    let t0 = Instant::now();
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    call.handle_signal(
        t0 + Duration::from_millis(200),
        Signal::Failed {
            code: 486,
            reason: "Busy Here".into(),
            reason_header: Some("Q.850;cause=17".into()),
        },
    );
    let r = call.record();
    assert_eq!(r.outcome, Some(Outcome::Busy));
    assert_eq!(r.hangup_by, Some(HangupBy::Remote));
    assert_eq!(r.ring_ms, Some(200));
    assert_eq!(r.reason_header.as_deref(), Some("Q.850;cause=17"));
    assert!(call.is_finished());
}

#[test]
fn outbound_answered_plays_then_hangs_up() {
    let t0 = Instant::now();
    let script = Dialogue::Script(Script {
        collect: None,
        goodbye: None,
        ..ivr_script()
    });
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), script);
    call.handle_signal(t0 + Duration::from_secs(2), Signal::Answered);
    assert_eq!(drain(&mut call), [play("welcome.wav", None)]);
    assert_eq!(call.poll_timeout(), Some(t0 + Duration::from_secs(122)));
    call.handle_media(t0 + Duration::from_secs(5), MediaInput::PlaybackFinished);
    assert_eq!(drain(&mut call), [Action::Hangup]);
    call.handle_signal(t0 + Duration::from_secs(5), Signal::HangupComplete);
    let r = call.record();
    assert_eq!((r.ring_ms, r.talk_ms), (Some(2_000), Some(3_000)));
    assert_eq!(r.outcome, Some(Outcome::Answered));
}

#[test]
fn max_duration_and_shutdown_hang_up() {
    let t0 = Instant::now();
    let short = CallSetup {
        max_duration: Duration::from_secs(10),
        ..setup(Direction::Inbound)
    };
    let mut call = Call::inbound(t0, clock(t0), short, ivr());
    call.handle_signal(t0, Signal::Confirmed);
    drain(&mut call);
    call.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(drain(&mut call), [Action::StopPlayback, Action::Hangup]);
    // The SIP layer never answers: the record still ends.
    let end = call.poll_timeout().expect("teardown deadline");
    call.handle_timeout(end);
    assert!(call.is_finished());

    let mut dialing = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    dialing.shutdown(t0);
    assert_eq!(drain(&mut dialing), [Action::Cancel]);
}

#[test]
fn record_serialises_to_json() {
    let t0 = Instant::now();
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    call.handle_signal(
        t0,
        Signal::Failed {
            code: 404,
            reason: "Not Found".into(),
            reason_header: None,
        },
    );
    let json = serde_json::to_value(call.record()).expect("serialise");
    assert_eq!(json["outcome"], "empty_number");
    assert_eq!(json["direction"], "outbound");
}

#[test]
fn barge_in_cuts_the_prompt_and_moves_on() {
    let t0 = Instant::now();
    let mut call = Call::inbound(t0, clock(t0), setup(Direction::Inbound), ivr());
    call.handle_signal(t0, Signal::Confirmed);
    drain(&mut call);
    call.handle_media(t0 + Duration::from_millis(1200), MediaInput::BargeIn);
    assert_eq!(
        drain(&mut call),
        [],
        "the media loop already stopped the prompt"
    );
    assert!(call.record().prompts[0].cut);
    assert_eq!(call.record().prompts[0].end_ms, Some(1200));
    call.handle_media(t0 + Duration::from_secs(2), dtmf('5'));
    call.handle_media(t0 + Duration::from_secs(2), dtmf('#'));
    assert_eq!(drain(&mut call), [play("bye.wav", Some(false))]);
    assert_eq!(call.record().digits, "5");
}

#[test]
fn early_media_before_the_answer_lands_on_the_record_once() {
    let t0 = Instant::now();
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    call.handle_signal(t0, Signal::Progress { code: 183 });
    call.handle_media(
        t0,
        MediaInput::EarlyMedia {
            result: "empty_number".into(),
            evidence: "SIT vacant code: 985 Hz 380 ms, 1371 Hz 276 ms, 1777 Hz 380 ms".into(),
        },
    );
    call.handle_media(
        t0,
        MediaInput::EarlyMedia {
            result: "line_fault".into(),
            evidence: "a second tone".into(),
        },
    );
    let early = call.record().early_media.clone().expect("early media kept");
    assert_eq!(early.result, "empty_number");
    assert!(early.evidence.starts_with("SIT vacant code"));
    call.handle_signal(
        t0 + Duration::from_secs(2),
        Signal::Failed {
            code: 404,
            reason: "Not Found".into(),
            reason_header: None,
        },
    );
    assert!(call.is_finished());
    assert_eq!(
        call.record()
            .early_media
            .as_ref()
            .map(|e| e.result.as_str()),
        Some("empty_number")
    );
}

#[test]
fn an_announcement_recognised_after_the_final_response_still_lands() {
    let t0 = Instant::now();
    let mut call = Call::outbound(t0, clock(t0), setup(Direction::Outbound), ivr());
    call.handle_signal(t0, Signal::Progress { code: 183 });
    call.handle_signal(
        t0 + Duration::from_secs(6),
        Signal::Failed {
            code: 480,
            reason: "Temporarily Unavailable".into(),
            reason_header: None,
        },
    );
    assert!(call.is_finished());
    call.handle_media(
        t0 + Duration::from_secs(6),
        MediaInput::Dtmf {
            digit: '1',
            source: DtmfSource::Rfc4733,
            duration_ms: Some(100),
        },
    );
    call.handle_media(
        t0 + Duration::from_secs(6),
        MediaInput::EarlyMedia {
            result: "powered_off".into(),
            evidence: "announcement \"the subscriber you dialled is switched off\"".into(),
        },
    );
    let record = call.record();
    assert_eq!(
        record.early_media.as_ref().map(|e| e.result.as_str()),
        Some("powered_off")
    );
    assert!(record.dtmf.is_empty(), "no digits after the end");
}
