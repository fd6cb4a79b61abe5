//! Parsing, validation and interpreter tests, mostly on the shipped example flows.

mod interpreter;
mod validation;

use std::sync::Arc;

use crate::{Flow, FlowInput, FlowOutput, FlowRun, PromptPart};

const EN: &str = include_str!("../../../examples/flows/insurance-en.toml");
const ZH: &str = include_str!("../../../examples/flows/insurance-zh.toml");
const DTMF: &str = include_str!("../../../examples/flows/dtmf-survey.toml");

fn flow(text: &str) -> Arc<Flow> {
    Arc::new(Flow::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}")))
}

/// A run that has been answered; returns it with the opening's outputs.
fn answered(text: &str) -> (FlowRun, Vec<FlowOutput>) {
    let mut run = FlowRun::new(flow(text), [("name".to_owned(), "Ann".to_owned())]);
    assert!(actions(run.handle(FlowInput::Started)).is_empty());
    let out = actions(run.handle(FlowInput::Answered));
    (run, out)
}

/// Outputs without log lines.
fn actions(out: Vec<FlowOutput>) -> Vec<FlowOutput> {
    out.into_iter()
        .filter(|o| !matches!(o, FlowOutput::Log { .. }))
        .collect()
}

fn say(run: &mut FlowRun, text: &str) -> Vec<FlowOutput> {
    actions(run.handle(FlowInput::Utterance {
        text: Some(text.to_owned()),
        barged_in: false,
    }))
}

fn text(t: &str) -> PromptPart {
    PromptPart::Text(t.to_owned())
}

/// The TTS text of every part played or given as a final prompt, joined.
fn spoken(out: &[FlowOutput]) -> String {
    let mut words = Vec::new();
    for o in out {
        let parts = match o {
            FlowOutput::Play { parts, .. } => parts,
            FlowOutput::HangUp { final_prompt } => final_prompt,
            _ => continue,
        };
        for p in parts {
            match p {
                PromptPart::Text(t) | PromptPart::File(t) => words.push(t.as_str()),
            }
        }
    }
    words.join(" | ")
}

fn hung_up(out: &[FlowOutput]) -> bool {
    out.iter().any(|o| matches!(o, FlowOutput::HangUp { .. }))
}

fn level(out: &[FlowOutput]) -> Option<&str> {
    out.iter().find_map(|o| match o {
        FlowOutput::SetLevel(l) => Some(l.as_str()),
        _ => None,
    })
}

fn note(out: &[FlowOutput]) -> Option<(&str, Option<&str>)> {
    out.iter().find_map(|o| match o {
        FlowOutput::NoteRound { node, intent, .. } => Some((node.as_str(), intent.as_deref())),
        _ => None,
    })
}
