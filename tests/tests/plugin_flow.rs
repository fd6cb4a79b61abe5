//! The stock flow plugin (`plugins/dist/flow.wasm`) on the example flows, through the testkit:
//! the real component in the real sandbox, fed events on a fake clock.
//!
//! Build the plugins first: `plugins/build`.

use std::path::{Path, PathBuf};

use voxgate_plugin_testkit::dialogue::{
    Action, CollectEnd, Event, PromptPart, TransferResult, TransferTarget,
};
use voxgate_plugin_testkit::types::{HangupParty, LogLevel};
use voxgate_plugin_testkit::{DialogueHarness, Testkit, samples};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A started call of the flow plugin running `examples/flows/<file>`.
fn call_with(flow: Option<String>) -> DialogueHarness {
    let wasm = repo().join("plugins/dist/flow.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run plugins/build first",
        wasm.display()
    );
    let mut kit = Testkit::load(&wasm).expect("the flow plugin loads");
    let mut call = kit.dialogue().expect("a dialogue session");
    let mut info = samples::call_info();
    info.flow = flow;
    let actions = call.start(info).expect("call-started");
    assert!(
        !actions.iter().any(|a| matches!(a, Action::HangUp(_))),
        "{actions:?}"
    );
    call
}

fn call(file: &str) -> DialogueHarness {
    let path = repo().join("examples/flows").join(file);
    let text = std::fs::read_to_string(&path).expect("example flow readable");
    call_with(Some(text))
}

/// TTS text and file ids of every play and final prompt, joined with ` | `.
fn spoken(actions: &[Action]) -> String {
    let mut words = Vec::new();
    for action in actions {
        let parts = match action {
            Action::Play(play) => &play.parts,
            Action::HangUp(h) => &h.final_prompt,
            _ => continue,
        };
        for part in parts {
            match part {
                PromptPart::Tts(t) | PromptPart::File(t) => words.push(t.clone()),
            }
        }
    }
    words.join(" | ")
}

fn hung_up(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::HangUp(_)))
}

fn intent(actions: &[Action]) -> Option<(String, Option<String>)> {
    actions.iter().find_map(|a| match a {
        Action::NoteRound(n) => Some((n.node.clone(), n.intent.clone())),
        _ => None,
    })
}

fn said(call: &mut DialogueHarness, text: &str) -> Vec<Action> {
    call.say(text).expect("utterance handled")
}

#[test]
fn english_happy_path_reaches_level_a_through_the_transfer() {
    let mut call = call("insurance-en.toml");
    let opening = call.answered().unwrap();
    assert!(
        spoken(&opening).starts_with("Hello, this is Emma"),
        "{opening:?}"
    );
    assert!(
        opening
            .iter()
            .any(|a| matches!(a, Action::Listen(l) if l.no_input_ms == Some(6000)))
    );
    assert_eq!(
        spoken(&said(&mut call, "Yes, go ahead")),
        "Thank you. Am I speaking with ${name}?"
    );
    said(&mut call, "speaking");
    said(&mut call, "No, we don't have any");
    let invitation = said(&mut call, "Yes please, put me through");
    assert!(spoken(&invitation).starts_with("Great, I'm connecting you"));
    let transfer = call.playback_finished().unwrap();
    assert!(
        matches!(&transfer[..], [Action::Transfer(TransferTarget::AgentGroup(g))] if g == "advisers"),
        "{transfer:?}"
    );
    call.send(Event::TransferResult(TransferResult {
        target: "advisers".into(),
        connected: true,
        detail: "200".into(),
    }))
    .unwrap();
    assert_eq!(call.level(), Some("A"));
    assert_eq!(call.score(), 35);
    assert_eq!(
        call.tags(),
        ["identity-confirmed", "no-cover", "interested"]
    );
    assert_eq!(
        call.variables().get("current_cover").map(String::as_str),
        Some("no")
    );
}

#[test]
fn no_input_retries_then_goodbye() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    let retry = call.silence().unwrap();
    assert!(spoken(&retry).starts_with("Hello? Are you still there? | Hello, this is Emma"));
    let end = call.silence().unwrap();
    assert!(hung_up(&end));
    assert_eq!(
        spoken(&end),
        "Sorry, it seems this isn't a good moment. Goodbye."
    );
    assert_eq!(call.level(), Some("F"));
    assert!(call.ended());
}

#[test]
fn a_knowledge_answer_returns_to_the_step() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    said(&mut call, "sure");
    let answer = said(&mut call, "Wait, how did you get my number?");
    assert_eq!(
        intent(&answer),
        Some(("identity".into(), Some("number-source".into())))
    );
    assert!(spoken(&answer).starts_with("Your number is on a list"));
    assert!(
        spoken(&answer).ends_with("Am I speaking with ${name}?"),
        "the step is replayed"
    );
    let next = said(&mut call, "yes it's me");
    assert_eq!(
        intent(&next),
        Some(("identity".into(), Some("positive".into())))
    );
    assert_eq!(
        spoken(&next),
        "Do you and your family already have health insurance?"
    );
}

#[test]
fn the_negative_path_closes_with_level_e() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    for text in ["ok", "that's me", "we have"] {
        said(&mut call, text);
    }
    let end = said(&mut call, "No, not interested.");
    assert!(hung_up(&end));
    assert_eq!(
        spoken(&end),
        "Thank you for your time, ${name}. Have a lovely day. Goodbye."
    );
    assert_eq!(call.level(), Some("E"));
    assert!(call.tags().contains(&"not-interested".to_owned()));
}

#[test]
fn a_failed_transfer_ends_with_a_call_back_promise() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    for text in ["yes", "yes", "no", "yes"] {
        said(&mut call, text);
    }
    call.playback_finished().unwrap();
    let end = call
        .send(Event::TransferResult(TransferResult {
            target: "advisers".into(),
            connected: false,
            detail: "486 Busy Here".into(),
        }))
        .unwrap();
    assert!(spoken(&end).starts_with("I'm sorry, all our advisers are busy"));
    assert!(call.tags().contains(&"call-back".to_owned()));
}

#[test]
fn max_rounds_goes_to_the_closing() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    for round in 1..12 {
        let answer = said(&mut call, "which company is this?");
        assert!(!hung_up(&answer), "round {round}");
    }
    let last = said(&mut call, "which company is this?");
    assert!(hung_up(&last));
    assert!(spoken(&last).ends_with("Have a lovely day. Goodbye."));
    assert_eq!(call.level(), Some("F"));
}

#[test]
fn max_duration_timer_goes_to_the_closing() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    assert!(call.advance(299_000).unwrap().is_empty());
    let closing = call.advance(1_000).unwrap();
    assert!(
        spoken(&closing).starts_with("Thank you for your time"),
        "{closing:?}"
    );
}

#[test]
fn busy_and_robot_common_dialogs() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    let robot = said(&mut call, "Am I talking to a robot?");
    assert!(spoken(&robot).starts_with("I'm a virtual assistant"));
    let busy = said(&mut call, "Sorry, I'm in a meeting");
    assert!(spoken(&busy).starts_with("No problem at all, we'll call you back"));
    assert_eq!(call.level(), Some("D"));
}

#[test]
fn dtmf_survey_press_1() {
    let mut call = call("dtmf-survey.toml");
    let opening = call.answered().unwrap();
    assert_eq!(spoken(&opening), "../prompts/welcome.wav");
    assert!(
        opening
            .iter()
            .any(|a| matches!(a, Action::CollectDigits(c) if c.max_digits == 1))
    );
    assert!(
        call.digit('1').unwrap().is_empty(),
        "single digits wait for digits-collected"
    );
    let end = call.digits("1", CollectEnd::MaxDigits).unwrap();
    assert_eq!(spoken(&end), "../prompts/notice.wav");
    assert!(hung_up(&end));
    assert_eq!((call.level(), call.score()), (Some("A"), 10));
    assert_eq!(call.tags(), ["interested"]);
    assert_eq!(
        call.variables().get("choice").map(String::as_str),
        Some("1")
    );
}

#[test]
fn dtmf_survey_press_2() {
    let mut call = call("dtmf-survey.toml");
    call.answered().unwrap();
    let end = call.digits("2", CollectEnd::MaxDigits).unwrap();
    assert_eq!(spoken(&end), "../prompts/goodbye.wav");
    assert_eq!(call.level(), Some("E"));
    assert_eq!(call.tags(), ["not-interested"]);
}

#[test]
fn dtmf_survey_no_input_twice() {
    let mut call = call("dtmf-survey.toml");
    call.answered().unwrap();
    let retry = call.digits("", CollectEnd::Timeout).unwrap();
    assert_eq!(spoken(&retry), "../prompts/welcome.wav");
    let end = call.digits("", CollectEnd::Timeout).unwrap();
    assert_eq!(spoken(&end), "../prompts/goodbye.wav");
    assert_eq!(call.level(), Some("F"));
}

#[test]
fn mandarin_happy_path() {
    let mut call = call("insurance-zh.toml");
    let opening = call.answered().unwrap();
    assert!(spoken(&opening).starts_with("您好，我是安康保险的客服小王"));
    assert_eq!(
        spoken(&said(&mut call, "方便，你说")),
        "请问您是${name}吗？"
    );
    said(&mut call, "对，是我");
    let price = said(&mut call, "这个保险多少钱");
    assert!(spoken(&price).starts_with("保费每月几十元起"));
    said(&mut call, "还没有");
    let transfer = said(&mut call, "好的，可以");
    assert_eq!(spoken(&transfer), "好的，正在为您转接顾问，请稍等。");
    call.playback_finished().unwrap();
    call.send(Event::TransferResult(TransferResult {
        target: "顾问组".into(),
        connected: true,
        detail: "200".into(),
    }))
    .unwrap();
    assert_eq!(call.level(), Some("A"));
    assert!(call.tags().contains(&"有意向".to_owned()));
}

#[test]
fn a_hang_up_mid_call_still_sets_the_level() {
    let mut call = call("insurance-en.toml");
    call.answered().unwrap();
    for text in ["yes", "yes", "we have"] {
        said(&mut call, text);
    }
    let after = call.hangup(HangupParty::Remote).unwrap();
    assert!(
        after
            .iter()
            .all(|a| matches!(a, Action::SetLevel(_) | Action::Log(_))),
        "{after:?}"
    );
    assert_eq!(call.level(), Some("C"));
}

#[test]
fn a_call_without_a_flow_hangs_up_with_an_error() {
    let wasm = repo().join("plugins/dist/flow.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run plugins/build first",
        wasm.display()
    );
    let mut kit = Testkit::load(&wasm).unwrap();
    for flow in [None, Some("[flow]\nname = 1\n".to_owned())] {
        let mut call = kit.dialogue().unwrap();
        let mut info = samples::call_info();
        info.flow = flow;
        let actions = call.start(info).unwrap();
        assert!(
            matches!(&actions[..], [Action::Log(l), Action::HangUp(h)] if matches!(l.level, LogLevel::Error) && h.final_prompt.is_empty()),
            "{actions:?}"
        );
    }
}
