use super::*;
use crate::{MAX_DURATION_TIMER, TransferTarget};

fn listen(ms: u32) -> FlowOutput {
    FlowOutput::Listen {
        no_input_ms: ms,
        end_silence_ms: None,
    }
}

#[test]
fn answering_plays_the_opening_and_listens() {
    let (run, out) = answered(EN);
    assert_eq!(
        out,
        [
            FlowOutput::StartTimer {
                id: MAX_DURATION_TIMER.into(),
                after_ms: 300_000
            },
            FlowOutput::Play {
                parts: vec![text(
                    "Hello, this is Emma from Harbour Mutual Insurance, calling about family health cover. Do you have a minute?"
                )],
                barge_in: true,
            },
            listen(6000),
        ]
    );
    assert_eq!(run.current_node(), Some("opening"));
}

#[test]
fn english_happy_path_to_level_a_through_the_transfer() {
    let (mut run, _) = answered(EN);
    let out = say(&mut run, "Yes, go ahead.");
    assert_eq!(note(&out), Some(("opening", Some("positive"))));
    assert_eq!(spoken(&out), "Thank you. Am I speaking with ${name}?");
    let out = say(&mut run, "Speaking.");
    assert!(
        out.contains(&FlowOutput::AddScore(5))
            && out.contains(&FlowOutput::Tag("identity-confirmed".into()))
    );
    let out = say(&mut run, "No, we don't have any.");
    assert_eq!(note(&out), Some(("needs", Some("negative"))));
    assert!(out.contains(&FlowOutput::SetVariable {
        name: "current_cover".into(),
        value: "no".into()
    }));
    assert_eq!(run.current_node(), Some("invitation"));
    let out = say(&mut run, "Yeah, put me through.");
    assert!(out.contains(&FlowOutput::Tag("interested".into())));
    assert_eq!(
        spoken(&out),
        "Great, I'm connecting you to an adviser now. Please hold."
    );
    assert!(
        !out.iter().any(|o| matches!(o, FlowOutput::Transfer(_))),
        "the prompt plays first"
    );
    let out = actions(run.handle(FlowInput::PlaybackFinished { interrupted: false }));
    assert_eq!(
        out,
        [FlowOutput::Transfer(TransferTarget::AgentGroup(
            "advisers".into()
        ))]
    );
    let out = actions(run.handle(FlowInput::TransferResult { connected: true }));
    assert_eq!(
        out,
        [
            FlowOutput::CancelTimer(MAX_DURATION_TIMER.into()),
            FlowOutput::SetLevel("A".into())
        ]
    );
    assert_eq!((run.score(), run.rounds(), run.level()), (35, 4, Some("A")));
    assert!(run.is_finished());
    assert!(
        actions(run.handle(FlowInput::Hangup)).is_empty(),
        "the level is set once"
    );
}

#[test]
fn a_failed_transfer_goes_to_its_on_failure_node() {
    let (mut run, _) = answered(EN);
    for said in ["yes", "yes", "no", "yes"] {
        say(&mut run, said);
    }
    run.handle(FlowInput::PlaybackFinished { interrupted: false });
    let out = actions(run.handle(FlowInput::TransferResult { connected: false }));
    assert!(out.contains(&FlowOutput::Tag("call-back".into())));
    assert_eq!(level(&out), Some("A"), "still interested");
    assert!(spoken(&out).starts_with("I'm sorry, all our advisers are busy"));
    assert!(hung_up(&out));
}

#[test]
fn no_input_replays_with_the_retry_prompt_then_says_goodbye() {
    let (mut run, _) = answered(EN);
    let out = actions(run.handle(FlowInput::NoInput));
    assert_eq!(note(&out), Some(("opening", None)));
    assert!(spoken(&out).starts_with("Hello? Are you still there? | Hello, this is Emma"));
    assert_eq!(out.last(), Some(&listen(6000)));
    let out = actions(run.handle(FlowInput::NoInput));
    assert_eq!(
        out[1..],
        [
            FlowOutput::CancelTimer(MAX_DURATION_TIMER.into()),
            FlowOutput::SetLevel("F".into()),
            FlowOutput::HangUp {
                final_prompt: vec![text("Sorry, it seems this isn't a good moment. Goodbye.")]
            },
        ]
    );
    assert_eq!(run.rounds(), 2);
}

#[test]
fn knowledge_answers_return_to_the_interrupted_step() {
    let (mut run, _) = answered(EN);
    say(&mut run, "sure");
    say(&mut run, "that's me");
    let out = say(&mut run, "Hmm, how much does it cost?");
    assert_eq!(note(&out), Some(("needs", Some("price"))));
    assert_eq!(
        spoken(&out),
        "Plans start at about twenty dollars a month, and the adviser review is free. | Do you and your family already have health insurance?"
    );
    assert_eq!(run.current_node(), Some("needs"));
    let out = say(&mut run, "which company is this?");
    assert_eq!(note(&out), Some(("needs", Some("company"))));
    let out = say(&mut run, "yes we have");
    assert_eq!(note(&out), Some(("needs", Some("positive"))));
    assert_eq!(run.current_node(), Some("invitation"));
    let out = say(&mut run, "no thanks");
    assert_eq!(
        level(&out),
        Some("C"),
        "identity confirmed and asked the price: {out:?}"
    );
}

#[test]
fn negative_path_ends_politely_with_level_e() {
    let (mut run, _) = answered(EN);
    let out = say(&mut run, "No, I'm not interested.");
    assert_eq!(note(&out), Some(("opening", Some("negative"))));
    assert!(out.contains(&FlowOutput::Tag("declined".into())));
    assert_eq!(level(&out), Some("E"));
    assert_eq!(
        spoken(&out),
        "Thank you for your time, ${name}. Have a lovely day. Goodbye."
    );
    assert!(hung_up(&out) && run.is_finished());
}

#[test]
fn an_end_node_level_overrides_the_rules() {
    let (mut run, _) = answered(EN);
    say(&mut run, "ok");
    let out = say(&mut run, "no, wrong number");
    assert!(out.contains(&FlowOutput::Tag("wrong-number".into())));
    assert_eq!(level(&out), Some("F"));
}

#[test]
fn not_understood_apologises_then_falls_back() {
    let (mut run, _) = answered(EN);
    let out = say(&mut run, "the weather is nice");
    assert_eq!(note(&out), Some(("opening", None)));
    assert!(spoken(&out).starts_with("Sorry, I didn't quite catch that. | Hello, this is Emma"));
    let out = say(&mut run, "bananas");
    assert!(spoken(&out).starts_with("Sorry, it seems this isn't a good moment"));
    assert_eq!(level(&out), Some("F"));
}

#[test]
fn a_barge_in_that_is_not_understood_replays_without_apology() {
    let (mut run, _) = answered(EN);
    let out = actions(run.handle(FlowInput::Utterance {
        text: Some("uh".into()),
        barged_in: true,
    }));
    assert!(spoken(&out).starts_with("Hello, this is Emma"), "{out:?}");
}

#[test]
fn speech_without_text_is_not_understood_at_a_node_with_branches() {
    let (mut run, _) = answered(EN);
    let out = actions(run.handle(FlowInput::Utterance {
        text: None,
        barged_in: false,
    }));
    assert!(spoken(&out).starts_with("Sorry, I didn't quite catch that."));
}

#[test]
fn repeat_replays_the_last_prompt_even_after_an_answer() {
    let (mut run, _) = answered(EN);
    say(&mut run, "yes");
    let out = say(&mut run, "Sorry, can you say that again?");
    assert_eq!(note(&out), Some(("identity", Some("repeat"))));
    assert_eq!(
        spoken(&out),
        "Of course. | Thank you. Am I speaking with ${name}?"
    );
    say(&mut run, "who are you");
    let out = say(&mut run, "pardon?");
    assert_eq!(
        spoken(&out),
        "Of course. | I'm calling from Harbour Mutual Insurance, a licensed health insurer. | Thank you. Am I speaking with ${name}?"
    );
    assert_eq!(run.current_node(), Some("identity"));
}

#[test]
fn busy_goes_to_call_back_later() {
    let (mut run, _) = answered(EN);
    let out = say(&mut run, "I'm driving right now");
    assert_eq!(note(&out), Some(("opening", Some("busy"))));
    assert!(out.contains(&FlowOutput::Tag("call-back".into())));
    assert_eq!(level(&out), Some("D"));
    assert!(spoken(&out).starts_with("No problem at all, we'll call you back"));
}

#[test]
fn the_robot_question_is_answered_and_the_step_replayed() {
    let (mut run, _) = answered(EN);
    let out = say(&mut run, "Are you a robot?");
    assert_eq!(note(&out), Some(("opening", Some("robot"))));
    assert!(out.contains(&FlowOutput::Tag("asked-robot".into())));
    assert!(spoken(&out).starts_with("I'm a virtual assistant for Harbour Mutual. An adviser can take over whenever you like. | Hello, this is Emma"));
    assert_eq!(run.current_node(), Some("opening"));
}

#[test]
fn max_rounds_goes_to_the_closing() {
    let (mut run, _) = answered(EN);
    for round in 1..12 {
        let out = say(&mut run, "how much is it");
        assert!(!hung_up(&out), "round {round}");
    }
    let out = say(&mut run, "how much is it");
    assert_eq!(run.rounds(), 12);
    assert!(
        spoken(&out).starts_with("Plans start at about twenty dollars"),
        "the answer is still given"
    );
    assert!(spoken(&out).ends_with("Have a lovely day. Goodbye."));
    assert!(hung_up(&out));
    assert_eq!(level(&out), Some("F"), "no rule matches");
}

#[test]
fn max_duration_goes_to_the_closing() {
    let (mut run, _) = answered(EN);
    assert!(actions(run.handle(FlowInput::TimerFired("someone-else".into()))).is_empty());
    let out = actions(run.handle(FlowInput::TimerFired(MAX_DURATION_TIMER.into())));
    assert!(spoken(&out).starts_with("Thank you for your time"));
    assert!(
        !out.contains(&FlowOutput::CancelTimer(MAX_DURATION_TIMER.into())),
        "it has fired"
    );
}

#[test]
fn a_hang_up_mid_call_still_sets_the_level() {
    let (mut run, _) = answered(EN);
    for said in ["yes", "yes", "we have"] {
        say(&mut run, said);
    }
    let out = actions(run.handle(FlowInput::Hangup));
    assert_eq!(
        out,
        [FlowOutput::SetLevel("C".into())],
        "reached the invitation; nothing else after hang-up"
    );
    assert!(actions(say(&mut run, "hello?")).is_empty());
    assert!(actions(run.handle(FlowInput::NoInput)).is_empty());
}

#[test]
fn mandarin_happy_path() {
    let (mut run, out) = answered(ZH);
    assert!(spoken(&out).starts_with("您好，我是安康保险的客服小王"));
    let out = say(&mut run, "嗯，你说吧");
    assert_eq!(spoken(&out), "请问您是${name}吗？");
    let out = say(&mut run, "是我");
    assert!(out.contains(&FlowOutput::Tag("身份确认".into())));
    let out = say(&mut run, "这个多少钱啊");
    assert_eq!(note(&out), Some(("需求挖掘", Some("价格"))));
    let out = say(&mut run, "还没有买");
    assert_eq!(note(&out), Some(("需求挖掘", Some("negative"))));
    let out = say(&mut run, "好的，转吧");
    assert!(out.contains(&FlowOutput::Tag("有意向".into())));
    let out = actions(run.handle(FlowInput::PlaybackFinished { interrupted: false }));
    assert_eq!(
        out,
        [FlowOutput::Transfer(TransferTarget::AgentGroup(
            "顾问组".into()
        ))]
    );
    let out = actions(run.handle(FlowInput::TransferResult { connected: true }));
    assert_eq!(level(&out), Some("A"));
}

#[test]
fn mandarin_negatives_are_checked_before_positives() {
    let (mut run, _) = answered(ZH);
    let out = say(&mut run, "现在不方便");
    assert_eq!(note(&out), Some(("开场白", Some("negative"))));
    assert_eq!(level(&out), Some("E"));
    let (mut run, _) = answered(ZH);
    let out = say(&mut run, "我在开车");
    assert_eq!(note(&out), Some(("开场白", Some("busy"))));
    assert_eq!(spoken(&out), "好的，不打扰您了，我们稍后再给您回电，再见。");
}

#[test]
fn dtmf_survey_press_1_is_level_a() {
    let (mut run, out) = answered(DTMF);
    assert_eq!(
        out,
        [
            FlowOutput::Play {
                parts: vec![PromptPart::File("../prompts/welcome.wav".into())],
                barge_in: true
            },
            FlowOutput::CollectDigits {
                max_digits: 1,
                terminator: None,
                timeout_ms: 5000
            },
        ]
    );
    assert!(
        actions(run.handle(FlowInput::Dtmf('1'))).is_empty(),
        "wait for digits-collected"
    );
    assert!(
        actions(run.handle(FlowInput::Utterance {
            text: None,
            barged_in: true
        }))
        .is_empty()
    );
    let out = actions(run.handle(FlowInput::DigitsCollected { digits: "1".into() }));
    assert_eq!(
        out,
        [
            FlowOutput::SetVariable {
                name: "choice".into(),
                value: "1".into()
            },
            FlowOutput::NoteRound {
                node: "welcome".into(),
                intent: Some("positive".into()),
                keywords: vec!["1".into()]
            },
            FlowOutput::AddScore(10),
            FlowOutput::Tag("interested".into()),
            FlowOutput::SetLevel("A".into()),
            FlowOutput::HangUp {
                final_prompt: vec![PromptPart::File("../prompts/notice.wav".into())]
            },
        ]
    );
    assert_eq!(run.variables().get("choice").map(String::as_str), Some("1"));
    assert_eq!(run.variables().get("name").map(String::as_str), Some("Ann"));
}

#[test]
fn dtmf_survey_press_2_is_level_e() {
    let (mut run, _) = answered(DTMF);
    let out = actions(run.handle(FlowInput::DigitsCollected { digits: "2".into() }));
    assert!(out.contains(&FlowOutput::Tag("not-interested".into())));
    assert_eq!(level(&out), Some("E"));
    assert_eq!(spoken(&out), "../prompts/goodbye.wav");
}

#[test]
fn dtmf_survey_silence_twice_is_level_f() {
    let (mut run, _) = answered(DTMF);
    let out = actions(run.handle(FlowInput::DigitsCollected {
        digits: String::new(),
    }));
    assert_eq!(spoken(&out), "../prompts/welcome.wav");
    assert!(matches!(out.last(), Some(FlowOutput::CollectDigits { .. })));
    let out = actions(run.handle(FlowInput::NoInput));
    assert_eq!(level(&out), Some("F"));
    assert_eq!(spoken(&out), "../prompts/goodbye.wav");
}

#[test]
fn dtmf_survey_wrong_digit_twice_is_level_f() {
    let (mut run, _) = answered(DTMF);
    let out = actions(run.handle(FlowInput::DigitsCollected { digits: "7".into() }));
    assert_eq!(note(&out), Some(("welcome", None)));
    assert_eq!(spoken(&out), "../prompts/welcome.wav");
    let out = actions(run.handle(FlowInput::DigitsCollected { digits: "9".into() }));
    assert_eq!(level(&out), Some("F"));
}

const SMALL: &str = r#"
[flow]
name = "small"
start = "menu"
fallback = "bye"
retries = 0

[[node]]
name = "menu"
kind = "opening"
prompts = [{ text = "Press 1 or say sales." }]
otherwise = "info"
end_silence_ms = 700
barge_in = false
[[node.branch]]
kind = "special"
name = "sales"
keywords = ["sales"]
digits = ["1"]
next = "sales"

[[node]]
name = "info"
kind = "step"
prompts = [{ text = "Here is some information." }]
score = -3
no_input_next = "bye"

[[node]]
name = "thanks"
kind = "step"
prompts = [{ text = "Thanks." }]
next = "bye"

[[node]]
name = "sales"
kind = "transfer"
uri = "sip:sales@example.com"

[[node]]
name = "bye"
kind = "end"
"#;

#[test]
fn digits_while_listening_match_branches_and_transfer_without_prompt_is_immediate() {
    let (mut run, out) = answered(SMALL);
    assert_eq!(
        out[1],
        FlowOutput::Listen {
            no_input_ms: 5000,
            end_silence_ms: Some(700)
        }
    );
    assert_eq!(
        out[0],
        FlowOutput::Play {
            parts: vec![text("Press 1 or say sales.")],
            barge_in: false
        }
    );
    let out = actions(run.handle(FlowInput::Dtmf('1')));
    assert_eq!(note(&out), Some(("menu", Some("sales"))));
    assert_eq!(
        out.last(),
        Some(&FlowOutput::Transfer(TransferTarget::Uri(
            "sip:sales@example.com".into()
        )))
    );
    let out = actions(run.handle(FlowInput::TransferResult { connected: false }));
    assert_eq!(
        out,
        [FlowOutput::HangUp {
            final_prompt: Vec::new()
        }],
        "no level rules, no default"
    );
}

#[test]
fn otherwise_and_branchless_nodes_take_any_input() {
    let (mut run, _) = answered(SMALL);
    let out = say(&mut run, "what is this");
    assert_eq!(run.current_node(), Some("info"));
    assert!(out.contains(&FlowOutput::AddScore(-3)));
    let out = actions(run.handle(FlowInput::Utterance {
        text: None,
        barged_in: false,
    }));
    assert_eq!(note(&out), Some(("info", None)));
    assert_eq!(
        run.current_node(),
        Some("thanks"),
        "a node without branches goes to its next"
    );
    assert_eq!(run.score(), -3);
    let (mut run, _) = answered(SMALL);
    say(&mut run, "hm");
    let out = actions(run.handle(FlowInput::NoInput));
    assert!(hung_up(&out), "retries = 0: straight to no_input_next");
}

#[test]
fn runs_are_deterministic() {
    let script = |text: &str| {
        let (mut run, mut all) = answered(text);
        for input in ["yes", "how much", "pardon", "yes", "we have", "later"] {
            all.extend(say(&mut run, input));
        }
        all.extend(actions(run.handle(FlowInput::Hangup)));
        all
    };
    assert_eq!(script(EN), script(EN));
    assert_eq!(level(&script(EN)), Some("B"));
}

#[test]
fn inputs_before_the_answer_are_ignored() {
    let mut run = FlowRun::new(flow(DTMF), []);
    assert!(
        run.handle(FlowInput::DigitsCollected { digits: "1".into() })
            .is_empty()
    );
    assert!(run.handle(FlowInput::NoInput).is_empty());
    assert_eq!(run.current_node(), None);
    let out = actions(run.handle(FlowInput::Hangup));
    assert_eq!(
        out,
        [FlowOutput::SetLevel("F".into())],
        "an unanswered call gets the default level"
    );
}
