//! Dialogue plugins on calls: one task per call owns the call's plugin session (its own
//! wasmtime Store), feeds it the call's events in order off the engine loop (on the blocking
//! pool), performs its HTTP requests, and reports the actions back to the engine loop as
//! `voxgate-call` actions. The WIT types meet the call's types only here.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use voxgate_audio::endpointing::EndpointingOverrides;
use voxgate_call::{
    BotAction, BotEvent, DigitCollection, DigitsDone, HangupBy, PromptPart, RoundNote, Transcript,
    TransferTarget,
};
use voxgate_plugin_host::dialogue as wit;
use voxgate_plugin_host::types::{CallInfo, Direction, HangupParty, LogLevel, Pair};
use voxgate_plugin_host::{DialogueSession, PluginHost, SessionContext, SystemClock};
use voxgate_sip::CallHandle;

use crate::http::HttpClient;

/// What a call's dialogue task tells the engine loop.
#[derive(Debug)]
pub enum DialogueReport {
    /// The plugin answered an event with these actions.
    Actions {
        /// The call.
        call: CallHandle,
        /// Its actions, translated.
        actions: Vec<BotAction>,
        /// This was the answer to the hang-up event: the record may be written.
        last: bool,
    },
    /// The plugin failed; the call goes to its fallback.
    Fault {
        /// The call.
        call: CallHandle,
        /// Fault kind (`trap`, `timeout`, ...).
        kind: String,
        /// What happened.
        detail: String,
        /// The fault happened on the hang-up event.
        last: bool,
    },
}

/// Facts the plugin gets with `call-started`.
pub struct CallContext {
    /// The plugin file.
    pub plugin: PathBuf,
    /// The flow file, read when the call starts.
    pub flow: Option<PathBuf>,
    /// `call-info` as the plugin sees it (the host masks numbers per manifest).
    pub info: CallInfo,
}

/// Builds the `call-info` record for a call.
pub fn call_info(
    call_id: &str,
    inbound: bool,
    route: Option<&str>,
    trunk: Option<&str>,
    callee: &str,
    caller: &str,
    variables: &[(String, String)],
) -> CallInfo {
    CallInfo {
        call_id: call_id.to_owned(),
        direction: if inbound {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        campaign: None,
        route: route.map(str::to_owned),
        trunk: trunk.map(str::to_owned),
        callee: callee.to_owned(),
        caller: caller.to_owned(),
        variables: variables
            .iter()
            .map(|(name, value)| Pair {
                name: name.clone(),
                value: value.clone(),
            })
            .collect(),
        flow: None,
    }
}

/// Start the dialogue task of one call; returns the sender of its events. The session is
/// created now (on the caller's thread: instantiation is tens of microseconds), so a plugin
/// that cannot load refuses the call at once.
pub fn start(
    host: &PluginHost,
    http: HttpClient,
    call: CallHandle,
    context: CallContext,
    reports: mpsc::UnboundedSender<DialogueReport>,
) -> Result<mpsc::UnboundedSender<BotEvent>, voxgate_plugin_host::PluginError> {
    let plugin = host.plugin(&context.plugin)?;
    let session = DialogueSession::new(
        &plugin,
        SessionContext {
            label: context.info.call_id.clone(),
            clock: Arc::new(SystemClock),
            seed: rand::random(),
        },
    )?;
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (responses_tx, responses_rx) = mpsc::unbounded_channel();
    let task = DialogueTask {
        call,
        session: Some(session),
        context,
        http,
        responses: responses_tx,
        reports,
    };
    tokio::spawn(task.run(events_rx, responses_rx));
    Ok(events_tx)
}

struct DialogueTask {
    call: CallHandle,
    /// Taken while an event runs on the blocking pool.
    session: Option<DialogueSession>,
    context: CallContext,
    http: HttpClient,
    /// HTTP responses come back through here, to be fed to the plugin in turn.
    responses: mpsc::UnboundedSender<wit::Event>,
    reports: mpsc::UnboundedSender<DialogueReport>,
}

impl DialogueTask {
    async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<BotEvent>,
        mut responses: mpsc::UnboundedReceiver<wit::Event>,
    ) {
        let mut ended = false;
        loop {
            let (event, last) = tokio::select! {
                biased;
                Some(event) = responses.recv(), if !ended => (event, false),
                event = events.recv() => match event {
                    Some(event) => {
                        let last = matches!(event, BotEvent::Hangup { .. });
                        let flow = match (&event, self.context.flow.clone()) {
                            (BotEvent::Started, Some(path)) => read_flow(self.call, path).await,
                            _ => None,
                        };
                        let Some(event) = self.wit_event(event, flow) else { continue };
                        (event, last)
                    }
                    None => break,
                },
            };
            ended |= last;
            self.handle(event, last).await;
        }
    }

    async fn handle(&mut self, event: wit::Event, last: bool) {
        let Some(mut session) = self.session.take() else {
            return;
        };
        let joined = tokio::task::spawn_blocking(move || {
            let result = session.on_event(event);
            (session, result)
        })
        .await;
        let (session, result) = match joined {
            Ok(pair) => pair,
            Err(e) => {
                let _ = self.reports.send(DialogueReport::Fault {
                    call: self.call,
                    kind: "host".into(),
                    detail: format!("plugin worker failed: {e}"),
                    last,
                });
                return;
            }
        };
        self.session = Some(session);
        let report = match result {
            Ok(actions) => DialogueReport::Actions {
                call: self.call,
                actions: self.carry_out(actions),
                last,
            },
            Err(fault) => DialogueReport::Fault {
                call: self.call,
                kind: fault.kind.as_str().to_owned(),
                detail: fault.detail,
                last,
            },
        };
        let _ = self.reports.send(report);
    }

    /// Perform what the host does itself (HTTP, logs); translate the rest for the call.
    fn carry_out(&self, actions: Vec<wit::Action>) -> Vec<BotAction> {
        let mut out = Vec::with_capacity(actions.len());
        for action in actions {
            match action {
                wit::Action::HttpRequest(request) => {
                    let http = self.http.clone();
                    let responses = self.responses.clone();
                    tokio::spawn(async move {
                        let response = http.perform(request).await;
                        let _ = responses.send(wit::Event::HttpResponse(response));
                    });
                }
                wit::Action::Log(entry) => {
                    let call = self.call;
                    let plugin = self.context.plugin.display();
                    let message = entry.message;
                    match entry.level {
                        LogLevel::Error => tracing::error!(%call, %plugin, "{message}"),
                        LogLevel::Warn => tracing::warn!(%call, %plugin, "{message}"),
                        LogLevel::Info => tracing::info!(%call, %plugin, "{message}"),
                        LogLevel::Debug => tracing::debug!(%call, %plugin, "{message}"),
                        LogLevel::Trace => tracing::trace!(%call, %plugin, "{message}"),
                    }
                }
                other => out.extend(bot_action(other)),
            }
        }
        out
    }

    /// The WIT form of a call event; `flow` is the flow file's text for `call-started`.
    fn wit_event(&self, event: BotEvent, flow: Option<String>) -> Option<wit::Event> {
        Some(match event {
            BotEvent::Started => wit::Event::CallStarted(CallInfo {
                flow,
                ..self.context.info.clone()
            }),
            BotEvent::Answered => wit::Event::Answered,
            BotEvent::SpeechStarted => wit::Event::SpeechStarted,
            BotEvent::Utterance {
                transcript,
                duration_ms,
                barged_in,
            } => wit::Event::Utterance(wit::Utterance {
                transcript: match transcript {
                    Transcript::Recognized { text, confidence } => {
                        wit::Transcript::Recognized(wit::Recognized { text, confidence })
                    }
                    Transcript::NoRecognizer => wit::Transcript::NoRecognizer,
                    Transcript::Failed(why) => wit::Transcript::Failed(why),
                },
                duration_ms,
                barged_in,
            }),
            BotEvent::NoInput => wit::Event::NoInput,
            BotEvent::Dtmf(digit) => wit::Event::Dtmf(digit),
            BotEvent::DigitsCollected { digits, done } => {
                wit::Event::DigitsCollected(wit::Digits {
                    digits,
                    end: match done {
                        DigitsDone::MaxDigits => wit::CollectEnd::MaxDigits,
                        DigitsDone::Terminator => wit::CollectEnd::Terminator,
                        DigitsDone::Timeout => wit::CollectEnd::Timeout,
                    },
                })
            }
            BotEvent::PlaybackFinished { cut } => wit::Event::PlaybackFinished(cut),
            BotEvent::TimerFired(id) => wit::Event::TimerFired(id),
            BotEvent::TransferResult {
                target,
                connected,
                detail,
            } => wit::Event::TransferResult(wit::TransferResult {
                target,
                connected,
                detail,
            }),
            BotEvent::Hangup { by, reason } => wit::Event::Hangup(wit::HangupInfo {
                by: match by {
                    HangupBy::Remote => HangupParty::Remote,
                    HangupBy::Bot => HangupParty::Bot,
                    HangupBy::Network => HangupParty::Network,
                },
                reason,
            }),
            other => {
                tracing::debug!(call = %self.call, "event {other:?} has no WIT form");
                return None;
            }
        })
    }
}

/// The flow file's text, read off the engine loop; a read error is logged and the plugin gets
/// no flow (it ends the call itself).
async fn read_flow(call: CallHandle, path: PathBuf) -> Option<String> {
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Some(text),
        Err(e) => {
            tracing::error!(%call, "flow file {}: {e}", path.display());
            None
        }
    }
}

fn prompt_parts(parts: Vec<wit::PromptPart>) -> Vec<PromptPart> {
    parts
        .into_iter()
        .map(|p| match p {
            wit::PromptPart::File(id) => PromptPart::File(id),
            wit::PromptPart::Tts(text) => PromptPart::Tts(text),
        })
        .collect()
}

/// A plugin action as the call understands it (HTTP and logs never get here).
fn bot_action(action: wit::Action) -> Option<BotAction> {
    Some(match action {
        wit::Action::Play(play) => BotAction::Play {
            parts: prompt_parts(play.parts),
            barge_in: Some(play.barge_in),
        },
        wit::Action::StopPlayback => BotAction::StopPlayback,
        wit::Action::Listen(listen) => BotAction::Listen(EndpointingOverrides {
            end_silence_ms: listen.end_silence_ms,
            no_input_ms: listen.no_input_ms,
            min_speech_ms: listen.min_speech_ms,
            max_utterance_ms: listen.max_utterance_ms,
            ..EndpointingOverrides::NONE
        }),
        wit::Action::CollectDigits(c) => BotAction::CollectDigits(DigitCollection {
            max_digits: usize::from(c.max_digits),
            terminator: c.terminator,
            timeout: Duration::from_millis(u64::from(c.timeout_ms)),
        }),
        wit::Action::Transfer(target) => BotAction::Transfer(match target {
            wit::TransferTarget::AgentGroup(group) => TransferTarget::AgentGroup(group),
            wit::TransferTarget::Uri(uri) => TransferTarget::Uri(uri),
        }),
        wit::Action::HangUp(h) => BotAction::HangUp {
            final_prompt: prompt_parts(h.final_prompt),
        },
        wit::Action::Tag(tag) => BotAction::Tag(tag),
        wit::Action::AddScore(points) => BotAction::AddScore(points),
        wit::Action::SetLevel(level) => BotAction::SetLevel(level),
        wit::Action::SetVariable(pair) => BotAction::SetVariable {
            name: pair.name,
            value: pair.value,
        },
        wit::Action::StartTimer(timer) => BotAction::StartTimer {
            id: timer.id,
            after: Duration::from_millis(u64::from(timer.after_ms)),
        },
        wit::Action::CancelTimer(id) => BotAction::CancelTimer(id),
        wit::Action::NoteRound(note) => BotAction::NoteRound(RoundNote {
            node: note.node,
            intent: note.intent,
            keywords: note.keywords,
        }),
        wit::Action::HttpRequest(_) | wit::Action::Log(_) => return None,
    })
}
