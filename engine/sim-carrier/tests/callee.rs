//! The callee state machine in virtual time: waits for the bot, interrupts, silences, hangs up.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use voxgate_sim_carrier::callee::{Callee, CalleeAction};
use voxgate_sim_carrier::persona::Turn;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn say(text: &str) -> Turn {
    Turn::Say {
        text: text.into(),
        interrupt_after: None,
    }
}

fn actions(callee: &mut Callee) -> Vec<CalleeAction> {
    std::iter::from_fn(|| callee.poll_action()).collect()
}

/// Run the callee's timers up to `until`, jumping from deadline to deadline.
fn advance(callee: &mut Callee, until: Instant) -> Vec<CalleeAction> {
    let mut out = Vec::new();
    while let Some(at) = callee.poll_timeout().filter(|at| *at <= until) {
        callee.handle_timeout(at);
        out.extend(actions(callee));
    }
    out
}

/// The bot talks from `from` to `to` (ms after t0): speech counts 200 ms in, ends 700 ms after.
fn bot_says(callee: &mut Callee, t0: Instant, from: u64, to: u64) -> Vec<CalleeAction> {
    let mut out = advance(callee, t0 + ms(from + 200));
    callee.handle_bot_speech_started(t0 + ms(from + 200), t0 + ms(from));
    out.extend(actions(callee));
    out.extend(advance(callee, t0 + ms(to + 700)));
    callee.handle_bot_utterance_ended(t0 + ms(to + 700), t0 + ms(from), t0 + ms(to));
    out.extend(actions(callee));
    out
}

#[test]
fn each_turn_waits_for_the_bot_to_finish() {
    let t0 = Instant::now();
    let turns = vec![say("yes, speaking"), Turn::Digits("1".into()), Turn::Hangup];
    let mut callee = Callee::new(t0, turns, ms(30_000));
    assert!(
        actions(&mut callee).is_empty(),
        "nothing before the bot talks"
    );
    callee.handle_bot_speech_started(t0 + ms(1200), t0 + ms(1000));
    assert!(actions(&mut callee).is_empty(), "not while the bot talks");
    callee.handle_bot_utterance_ended(t0 + ms(3700), t0 + ms(1000), t0 + ms(3000));
    assert_eq!(
        actions(&mut callee),
        [CalleeAction::Say {
            turn: 0,
            text: "yes, speaking".into()
        }]
    );
    // The bot answers before the callee finished talking: that does not count.
    let bot = bot_says(&mut callee, t0, 3800, 4000);
    assert!(bot.is_empty());
    callee.handle_audio_finished(t0 + ms(5000));
    assert!(actions(&mut callee).is_empty());
    assert_eq!(
        bot_says(&mut callee, t0, 5200, 6000),
        [CalleeAction::SendDigits {
            turn: 1,
            digits: "1".into()
        }]
    );
    callee.handle_audio_finished(t0 + ms(7000));
    assert_eq!(
        bot_says(&mut callee, t0, 7200, 8000),
        [CalleeAction::Hangup]
    );
    assert!(callee.hung_up());
    let performed = callee.performed();
    assert_eq!(performed.len(), 3);
    assert_eq!(
        (performed[0].at_ms, performed[0].end_ms),
        (3700, Some(5000))
    );
    assert_eq!(performed[1].kind, "digits");
    assert_eq!(performed[2].at_ms, 8700);
    let heard: Vec<(u64, u64)> = callee
        .heard()
        .iter()
        .map(|s| (s.start_ms, s.end_ms))
        .collect();
    assert_eq!(
        heard,
        [(1000, 3000), (3800, 4000), (5200, 6000), (7200, 8000)]
    );
}

#[test]
fn interrupts_the_bot_after_the_configured_time() {
    let t0 = Instant::now();
    let turns = vec![Turn::Say {
        text: "sorry, who is this?".into(),
        interrupt_after: Some(ms(700)),
    }];
    let mut callee = Callee::new(t0, turns, ms(30_000));
    // Speech starts at 1000 ms, counts at 1200 ms: the barge-in is due at 1700 ms.
    callee.handle_bot_speech_started(t0 + ms(1200), t0 + ms(1000));
    assert!(actions(&mut callee).is_empty());
    assert_eq!(callee.poll_timeout(), Some(t0 + ms(1700)));
    assert!(advance(&mut callee, t0 + ms(1699)).is_empty());
    assert_eq!(advance(&mut callee, t0 + ms(1700)).len(), 1);
    assert!(callee.performed()[0].interrupted_bot);
    assert_eq!(callee.performed()[0].at_ms, 1700);
}

#[test]
fn an_interrupt_turn_replies_normally_when_the_bot_stops_first() {
    let t0 = Instant::now();
    let turns = vec![Turn::Play {
        path: PathBuf::from("reply.wav"),
        interrupt_after: Some(ms(5000)),
    }];
    let mut callee = Callee::new(t0, turns, ms(30_000));
    let out = bot_says(&mut callee, t0, 0, 1000);
    assert_eq!(
        out,
        [CalleeAction::Play {
            turn: 0,
            path: "reply.wav".into()
        }]
    );
    assert!(!callee.performed()[0].interrupted_bot);
    assert_eq!(callee.performed()[0].at_ms, 1700);
}

#[test]
fn an_interrupt_armed_while_the_bot_already_talks_fires_at_once_if_late() {
    let t0 = Instant::now();
    let turns = vec![
        say("hello"),
        Turn::Say {
            text: "wait".into(),
            interrupt_after: Some(ms(300)),
        },
    ];
    let mut callee = Callee::new(t0, turns, ms(30_000));
    assert_eq!(bot_says(&mut callee, t0, 0, 500).len(), 1);
    callee.handle_bot_speech_started(t0 + ms(1500), t0 + ms(1300));
    callee.handle_audio_finished(t0 + ms(2000));
    assert_eq!(callee.poll_timeout(), Some(t0 + ms(2000)));
    assert_eq!(advance(&mut callee, t0 + ms(2000)).len(), 1);
    assert_eq!(callee.performed()[1].at_ms, 2000);
}

#[test]
fn silence_turns_listen_and_a_reprompt_during_them_counts() {
    let t0 = Instant::now();
    let turns = vec![Turn::Silence(ms(6000)), say("sorry?")];
    let mut callee = Callee::new(t0, turns, ms(30_000));
    assert!(
        bot_says(&mut callee, t0, 0, 1000).is_empty(),
        "silence starts"
    );
    assert_eq!(callee.poll_timeout(), Some(t0 + ms(7700)));
    // The bot's no-input re-prompt ends during the silence.
    assert!(bot_says(&mut callee, t0, 6000, 6500).is_empty());
    let out = advance(&mut callee, t0 + ms(7700));
    assert_eq!(
        out,
        [CalleeAction::Say {
            turn: 1,
            text: "sorry?".into()
        }]
    );
    assert_eq!(callee.performed()[0].end_ms, Some(7700));
    assert_eq!(callee.performed()[1].at_ms, 7700);
}

#[test]
fn after_the_last_turn_the_callee_hangs_up_after_waiting() {
    let t0 = Instant::now();
    let mut callee = Callee::new(t0, vec![say("bye")], ms(10_000));
    assert_eq!(bot_says(&mut callee, t0, 0, 1000).len(), 1);
    callee.handle_audio_finished(t0 + ms(2000));
    assert_eq!(callee.poll_timeout(), Some(t0 + ms(12_000)));
    // The bot keeps talking: the wait is not extended.
    assert!(bot_says(&mut callee, t0, 3000, 4000).is_empty());
    assert!(advance(&mut callee, t0 + ms(11_999)).is_empty());
    assert_eq!(
        advance(&mut callee, t0 + ms(12_000)),
        [CalleeAction::Hangup]
    );
    assert!(callee.hung_up());
    assert_eq!(callee.poll_timeout(), None);
}

#[test]
fn a_silent_bot_is_hung_up_on() {
    let t0 = Instant::now();
    let mut callee = Callee::new(t0, vec![say("hello?")], ms(5_000));
    assert_eq!(advance(&mut callee, t0 + ms(5_000)), [CalleeAction::Hangup]);
    assert!(callee.performed().is_empty());
}
