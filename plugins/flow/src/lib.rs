//! The stock `flow` dialogue plugin: runs the no-code flow file (话术) that the route or
//! campaign names, using `voxgate-flow`'s interpreter.
//!
//! The host passes the flow file's text in `call-info.flow`. This crate only translates: SDK
//! events become [`FlowInput`]s and [`FlowOutput`]s become SDK actions.

use std::sync::Arc;

use voxgate_flow::{
    Flow, FlowInput, FlowOutput, FlowRun, LogLevel as FlowLogLevel, TransferTarget,
};
use voxgate_plugin_sdk::dialogue::{
    Actions, Dialogue, Digits, HangupInfo, Listen, PromptPart, Transcript, TransferResult,
    Utterance,
};
use voxgate_plugin_sdk::types::{CallInfo, LogLevel};

/// One call's flow run; `None` until `call-started` brings a valid flow.
#[derive(Default)]
struct FlowPlugin {
    run: Option<FlowRun>,
}

impl FlowPlugin {
    /// Feed one input to the run (if any) and turn its outputs into actions.
    fn feed(&mut self, input: FlowInput, out: &mut Actions) {
        if let Some(run) = &mut self.run {
            for output in run.handle(input) {
                push_action(output, out);
            }
        }
    }
}

impl Dialogue for FlowPlugin {
    fn on_call_started(&mut self, call: &CallInfo, out: &mut Actions) {
        let origin = call
            .campaign
            .as_deref()
            .or(call.route.as_deref())
            .map_or_else(|| "flow".to_owned(), |name| format!("flow of {name}"));
        let Some(text) = &call.flow else {
            out.log(
                LogLevel::Error,
                "no flow file: name one with `flow = \"...\"` in the route or campaign",
            );
            out.hang_up();
            return;
        };
        match Flow::parse(text, &origin) {
            Ok(flow) => {
                for warning in &flow.warnings {
                    out.log(LogLevel::Warn, format!("warning: {warning}"));
                }
                let variables = call
                    .variables
                    .iter()
                    .map(|p| (p.name.clone(), p.value.clone()));
                self.run = Some(FlowRun::new(Arc::new(flow), variables));
                self.feed(FlowInput::Started, out);
            }
            Err(errors) => {
                out.log(
                    LogLevel::Error,
                    format!("the flow file is invalid:\n{errors}"),
                );
                out.hang_up();
            }
        }
    }

    fn on_answered(&mut self, out: &mut Actions) {
        self.feed(FlowInput::Answered, out);
    }

    fn on_utterance(&mut self, utterance: &Utterance, out: &mut Actions) {
        let text = match &utterance.transcript {
            Transcript::Recognized(r) => Some(r.text.clone()),
            Transcript::NoRecognizer => None,
            Transcript::Failed(why) => {
                out.log(LogLevel::Warn, format!("recogniser failed: {why}"));
                None
            }
        };
        let barged_in = utterance.barged_in;
        self.feed(FlowInput::Utterance { text, barged_in }, out);
    }

    fn on_no_input(&mut self, out: &mut Actions) {
        self.feed(FlowInput::NoInput, out);
    }

    fn on_dtmf(&mut self, digit: char, out: &mut Actions) {
        self.feed(FlowInput::Dtmf(digit), out);
    }

    fn on_digits(&mut self, digits: &Digits, out: &mut Actions) {
        let digits = digits.digits.clone();
        self.feed(FlowInput::DigitsCollected { digits }, out);
    }

    fn on_playback_finished(&mut self, cut: bool, out: &mut Actions) {
        self.feed(FlowInput::PlaybackFinished { interrupted: cut }, out);
    }

    fn on_timer(&mut self, id: &str, out: &mut Actions) {
        self.feed(FlowInput::TimerFired(id.to_owned()), out);
    }

    fn on_transfer_result(&mut self, result: &TransferResult, out: &mut Actions) {
        let connected = result.connected;
        self.feed(FlowInput::TransferResult { connected }, out);
    }

    fn on_hangup(&mut self, _info: &HangupInfo, out: &mut Actions) {
        self.feed(FlowInput::Hangup, out);
    }
}

fn parts(parts: Vec<voxgate_flow::PromptPart>) -> Vec<PromptPart> {
    parts
        .into_iter()
        .map(|p| match p {
            voxgate_flow::PromptPart::File(id) => PromptPart::File(id),
            voxgate_flow::PromptPart::Text(text) => PromptPart::Tts(text),
        })
        .collect()
}

fn push_action(output: FlowOutput, out: &mut Actions) {
    match output {
        FlowOutput::Play { parts: p, barge_in } => out.play_with(parts(p), barge_in),
        FlowOutput::Listen {
            no_input_ms,
            end_silence_ms,
        } => out.listen(Listen {
            end_silence_ms,
            no_input_ms: Some(no_input_ms),
            min_speech_ms: None,
            max_utterance_ms: None,
        }),
        FlowOutput::CollectDigits {
            max_digits,
            terminator,
            timeout_ms,
        } => out.collect_digits(max_digits, terminator, timeout_ms),
        FlowOutput::Transfer(TransferTarget::AgentGroup(group)) => out.transfer_to_group(group),
        FlowOutput::Transfer(TransferTarget::Uri(uri)) => out.transfer_to_uri(uri),
        FlowOutput::HangUp { final_prompt } => out.hang_up_with(parts(final_prompt)),
        FlowOutput::Tag(tag) => out.tag(tag),
        FlowOutput::AddScore(delta) => out.add_score(delta),
        FlowOutput::SetLevel(level) => out.set_level(level),
        FlowOutput::SetVariable { name, value } => out.set_variable(name, value),
        FlowOutput::NoteRound {
            node,
            intent,
            keywords,
        } => out.note_round(node, intent, keywords),
        FlowOutput::StartTimer { id, after_ms } => out.start_timer(id, after_ms),
        FlowOutput::CancelTimer(id) => out.cancel_timer(id),
        FlowOutput::Log { level, message } => out.log(log_level(level), message),
    };
}

fn log_level(level: FlowLogLevel) -> LogLevel {
    match level {
        FlowLogLevel::Debug => LogLevel::Debug,
        FlowLogLevel::Info => LogLevel::Info,
        FlowLogLevel::Warn => LogLevel::Warn,
    }
}

voxgate_plugin_sdk::export_dialogue!(FlowPlugin);
