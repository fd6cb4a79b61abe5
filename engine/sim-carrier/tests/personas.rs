//! Persona files: parsing, defaults, number matching and located errors.

use std::path::Path;
use std::time::Duration;

use voxgate_campaign::result::CallResult;
use voxgate_campaign::result_map::{ResultMap, classify_announcement, sit_result};
use voxgate_sim_carrier::parse_personas;
use voxgate_sim_carrier::persona::{AnswerCodec, EarlyMedia, Outcome, Turn};

const GOOD: &str = r#"
[carrier]
listen = "127.0.0.1:5090"
rtp_ip = "127.0.0.1"
rtp_ports = [32000, 32999]
language = "en"
answer_codec = "PCMA"

[[persona]]
name = "interested"
numbers = ["13800000001", "1380000002*"]
ring_ms = 1500
outcome = "answer"
turns = [
  { say = "yes, speaking" },
  { digits = "1#" },
  { silence_ms = 6000 },
  { say = "sorry, who is this?", interrupt_after_ms = 700 },
  { hangup = true },
]
hangup_after_ms = 20000

[[persona]]
name = "vacant"
numbers = ["1390000*"]
outcome = "empty_number"

[[persona]]
name = "fallback"
numbers = ["*"]
outcome = "busy"
code = 600
"#;

fn parse(text: &str) -> Result<voxgate_sim_carrier::Personas, Vec<String>> {
    parse_personas(text, "p.toml", Path::new("."))
        .map_err(|e| e.0.iter().map(ToString::to_string).collect())
}

#[test]
fn a_full_file_parses_with_defaults() {
    let personas = parse(GOOD).unwrap();
    assert_eq!(personas.carrier.answer_codec, AnswerCodec::Pcma);
    assert_eq!(personas.carrier.end_silence_ms, 700);
    let interested = &personas.personas[0];
    assert_eq!(interested.ring, Some(Duration::from_millis(1500)));
    assert_eq!(interested.code, 200);
    assert_eq!(interested.hangup_after, Duration::from_secs(20));
    assert_eq!(interested.turns.len(), 5);
    assert_eq!(
        interested.turns[3],
        Turn::Say {
            text: "sorry, who is this?".into(),
            interrupt_after: Some(Duration::from_millis(700))
        }
    );
    let vacant = &personas.personas[1];
    assert_eq!(
        (vacant.code, vacant.reason.as_deref()),
        (404, Some("Q.850;cause=1"))
    );
    assert_eq!(vacant.early_media, Some(EarlyMedia::Sit));
    assert_eq!(personas.personas[2].code, 600);
    assert_eq!(
        personas.personas[2].reason.as_deref(),
        Some("Q.850;cause=17")
    );
}

#[test]
fn the_first_matching_persona_wins() {
    let personas = parse(GOOD).unwrap();
    let name = |n: &str| personas.find(n).map(|p| p.name.as_str());
    assert_eq!(name("13800000001"), Some("interested"));
    assert_eq!(name("13800000025"), Some("interested"));
    assert_eq!(name("13800000003"), Some("fallback"));
    assert_eq!(name("13900001234"), Some("vacant"));
}

/// Each outcome's defaults classify, through the engine's default result map, as the campaign
/// result of the same name.
#[test]
fn outcome_defaults_classify_as_their_campaign_result() {
    let map = ResultMap::default();
    for outcome in Outcome::ALL {
        let d = outcome.defaults();
        let want: CallResult = outcome.campaign_result().parse().unwrap();
        let got = match &d.early_media {
            Some(EarlyMedia::Announcement(text)) => classify_announcement(text).unwrap().0,
            Some(EarlyMedia::Sit) => {
                assert_eq!(
                    map.classify(d.code, d.reason).result,
                    want,
                    "{outcome:?} code"
                );
                sit_result("vacant")
            }
            None if outcome == Outcome::NoAnswer => {
                assert_eq!(
                    map.classify(487, None).result,
                    want,
                    "{outcome:?} cancelled"
                );
                map.classify(d.code, d.reason).result
            }
            None => map.classify(d.code, d.reason).result,
        };
        assert_eq!(got, want, "{outcome:?}");
    }
}

#[test]
fn errors_point_at_file_line_and_column() {
    let text = r#"[carrier]
answer_codec = "G729"
rtp_ports = [5000]

[[persona]]
name = "a"
numbers = ["12x"]
outcome = "maybe"

[[persona]]
name = "b"
numbers = ["1"]
outcome = "busy"
code = 200
turns = [{ say = "hi" }]

[[persona]]
name = "c"
numbers = ["2"]
outcome = "answer"
early_media = "sit"
turns = [
  { say = "hi", digits = "1" },
  { digits = "1x" },
  { silence_ms = 100, interrupt_after_ms = 10 },
  { play = "missing.wav" },
  { hangup = false },
]
"#;
    let errors = parse(text).unwrap_err();
    let expected = [
        "p.toml:2:16: answer_codec: `G729` is not PCMU or PCMA",
        "p.toml:3:13: rtp_ports: expected [first, last] with 2 <= first < last <= 65535",
        "p.toml:7:12: numbers: `12x` is not digits (optional leading +, optional trailing *)",
        "p.toml:8:11: outcome: `maybe` is not one of answer, busy, no_answer, reject, empty_number, powered_off, suspended, unreachable",
        "p.toml:14:8: code: 200 is not a final failure code (300-699)",
        "p.toml:15:10: turns: only an answered persona (outcome = \"answer\") has turns",
        "p.toml:21:15: early media is for failures: an answered persona has none",
        "p.toml:23:3: turn: give exactly one of say, play, digits, silence_ms, hangup",
        "p.toml:24:14: digits: `1x` is not 0-9, *, #, A-D",
        "p.toml:25:44: interrupt_after_ms: only a `say` or `play` turn can interrupt",
        "p.toml:26:12: play: `./missing.wav` is not a file",
        "p.toml:27:14: hangup: write `hangup = true` (or leave the turn out)",
    ];
    assert_eq!(errors, expected);
}

#[test]
fn syntax_and_unknown_keys_are_located() {
    let errors = parse("[carrier]\nlisten = \"127.0.0.1:5090\"\nlisen = 1\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("p.toml:3:1: unknown field `lisen`"),
        "{errors:?}"
    );
    let errors = parse("[[persona]]\nname = = 1\n").unwrap_err();
    assert!(errors[0].starts_with("p.toml:2:"), "{errors:?}");
    let errors = parse("[carrier]\n").unwrap_err();
    assert_eq!(errors, ["p.toml:1:1: no [[persona]]: add at least one"]);
    let errors = parse("[[persona]]\nname = \"x\"\n").unwrap_err();
    assert_eq!(
        errors,
        [
            "p.toml:1:1: persona: `numbers` is missing",
            "p.toml:1:1: persona: `outcome` is missing"
        ]
    );
}

#[test]
fn the_example_files_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/personas");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            voxgate_sim_carrier::load_personas(&path).unwrap_or_else(|e| panic!("{e}"));
            checked += 1;
        }
    }
    assert!(checked > 0);
}
