//! Dialogue plugin driven by an OpenAI-compatible chat-completions endpoint: the opening line,
//! then every utterance goes to the model with the system prompt, the knowledge text and the
//! conversation so far; a filler plays while it thinks; a time-out or error plays the fallback,
//! and repeated failures end the call politely. See README.md for the configuration.

mod reply;

use reply::parse_reply;
use voxgate_plugin_sdk::chat::{ChatRequest, reply_text};
use voxgate_plugin_sdk::dialogue::{Actions, Dialogue, Listen, PromptPart, Transcript, Utterance};
use voxgate_plugin_sdk::host::{self, Config};
use voxgate_plugin_sdk::machine::{Retry, StateMachine};
use voxgate_plugin_sdk::prompt::substitute;
use voxgate_plugin_sdk::types::{CallInfo, HttpRequest, HttpResponse, LogLevel, Pair};

/// Appended to the system prompt so the model can end, transfer and grade the call.
const MARKER_RULES: &str = "When the conversation is over, end your reply with [HANGUP]. When \
the caller wants a human, end it with [TRANSFER]. When the caller's interest is clear, add a \
line [LEVEL:X] with X from A (ready to buy) to F (refuses).";

/// Where the conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the answer.
    Ringing,
    /// Listening to the callee.
    Listening,
    /// A request to the model is out.
    Thinking,
    /// Hung up or transferred.
    Done,
}

struct LlmAgent {
    stage: StateMachine<Stage>,
    config: Option<Config>,
    variables: Vec<Pair>,
    /// (role, text) turns after the system message.
    turns: Vec<(&'static str, String)>,
    /// Id of the request (and its timer) in flight.
    pending: Option<String>,
    requests: u32,
    failures: u32,
}

impl Default for LlmAgent {
    fn default() -> Self {
        Self {
            stage: StateMachine::new(Stage::Ringing),
            config: None,
            variables: Vec::new(),
            turns: Vec::new(),
            pending: None,
            requests: 0,
            failures: 0,
        }
    }
}

impl LlmAgent {
    fn config(&mut self) -> &Config {
        self.config.get_or_insert_with(host::config)
    }

    fn text(&mut self, key: &str, default: &str) -> String {
        self.config().get_or(key, default).to_string()
    }

    fn system_message(&mut self) -> String {
        let config = self.config();
        let mut system = config
            .get_or(
                "system_prompt",
                "You are a friendly phone assistant. Answer briefly.",
            )
            .to_string();
        if let Some(knowledge) = config.get("knowledge").filter(|k| !k.trim().is_empty()) {
            system.push_str("\n\nKnowledge:\n");
            system.push_str(knowledge);
        }
        if config.flag("markers", true) {
            system.push_str("\n\n");
            system.push_str(MARKER_RULES);
        }
        substitute(&system, &self.variables)
    }

    fn request(&mut self, id: &str) -> Option<HttpRequest> {
        let system = self.system_message();
        let config = self.config().clone();
        let url = config.get("llm_url")?;
        let mut chat = ChatRequest::new(config.get_or("model", "gpt-4o-mini")).system(system);
        for (role, text) in &self.turns {
            chat = chat.message(role, text.clone());
        }
        let mut request = chat
            .into_http(id, url)
            .timeout_ms(config.parse_or("timeout_ms", 3_000));
        if let Ok(key) = host::secret("api_key") {
            request = request.bearer_auth(&key);
        }
        Some(request)
    }

    fn say_and_listen(&mut self, text: String, out: &mut Actions) {
        out.say(text).listen(Listen::default());
        self.stage.go(Stage::Listening);
    }

    fn goodbye(&mut self, out: &mut Actions) {
        let goodbye = self.text("goodbye", "Thank you for your time. Goodbye.");
        out.hang_up_with(vec![PromptPart::Tts(goodbye)]);
        self.stage.go(Stage::Done);
    }

    /// A time-out, an error reply or an empty recognition: fallback, or goodbye after
    /// `max_failures` in a row.
    fn fail(&mut self, why: &str, out: &mut Actions) {
        self.pending = None;
        self.failures += 1;
        out.log(LogLevel::Warn, format!("llm-agent: {why}"));
        let max_failures = self.config().parse_or("max_failures", 2u32);
        if self.failures >= max_failures {
            out.tag("llm-failed");
            self.goodbye(out);
        } else {
            let fallback = self.text("fallback", "Sorry, could you say that again?");
            self.say_and_listen(fallback, out);
        }
    }

    fn answer(&mut self, text: &str, out: &mut Actions) {
        let reply = parse_reply(text);
        self.failures = 0;
        if let Some(level) = &reply.level {
            out.set_level(level.clone());
        }
        if !reply.speech.is_empty() {
            self.turns.push(("assistant", reply.speech.clone()));
        }
        let speech = vec![PromptPart::Tts(reply.speech.clone())];
        if reply.hang_up {
            out.hang_up_with(if reply.speech.is_empty() {
                Vec::new()
            } else {
                speech
            });
            self.stage.go(Stage::Done);
        } else if reply.transfer {
            if !reply.speech.is_empty() {
                out.play_with(speech, false);
            }
            let group = self.text("transfer_group", "agents");
            out.transfer_to_group(group);
            self.stage.go(Stage::Done);
        } else {
            self.say_and_listen(reply.speech, out);
        }
    }
}

impl Dialogue for LlmAgent {
    fn on_call_started(&mut self, call: &CallInfo, _out: &mut Actions) {
        self.variables = call.variables.clone();
    }

    fn on_answered(&mut self, out: &mut Actions) {
        let opening = self.text("opening", "Hello, how can I help you?");
        self.turns
            .push(("assistant", substitute(&opening, &self.variables)));
        self.say_and_listen(opening, out);
    }

    fn on_utterance(&mut self, utterance: &Utterance, out: &mut Actions) {
        if self.stage.is(&Stage::Done) {
            return;
        }
        let text = match &utterance.transcript {
            Transcript::Recognized(recognized) if !recognized.text.trim().is_empty() => {
                recognized.text.trim().to_string()
            }
            Transcript::Failed(why) => return self.fail(&format!("recogniser failed: {why}"), out),
            _ => return self.fail("nothing recognised", out),
        };
        self.stage.reset_retries();
        self.turns.push(("user", text));
        self.requests += 1;
        let id = format!("chat-{}", self.requests);
        let Some(request) = self.request(&id) else {
            return self.fail("no llm_url configured", out);
        };
        let timeout = self.config().parse_or("timeout_ms", 3_000u32);
        let filler = self.text("filler", "Let me check.");
        out.http_request(request).start_timer(id.clone(), timeout);
        if !filler.is_empty() {
            out.say(filler);
        }
        out.note_round("llm", None, Vec::new());
        self.pending = Some(id);
        self.stage.go(Stage::Thinking);
    }

    fn on_http_response(&mut self, response: &HttpResponse, out: &mut Actions) {
        if self.pending.as_deref() != Some(response.id.as_str()) {
            return; // a late answer to a request that already timed out
        }
        self.pending = None;
        out.cancel_timer(response.id.clone());
        let text = match &response.outcome {
            Ok(reply) => reply_text(reply),
            Err(why) => Err(why.clone()),
        };
        match text {
            Ok(text) => self.answer(&text, out),
            Err(why) => self.fail(&format!("model request failed: {why}"), out),
        }
    }

    fn on_timer(&mut self, id: &str, out: &mut Actions) {
        if self.pending.as_deref() == Some(id) {
            self.fail("the model did not answer in time", out);
        }
    }

    fn on_no_input(&mut self, out: &mut Actions) {
        if !self.stage.is(&Stage::Listening) {
            return;
        }
        match self.stage.retry(1) {
            Retry::Again(_) => {
                let reprompt = self.text("reprompt", "Are you still there?");
                out.say(reprompt).listen(Listen::default());
            }
            Retry::Exhausted => {
                out.tag("no-input");
                self.goodbye(out);
            }
        }
    }
}

voxgate_plugin_sdk::export_dialogue!(LlmAgent);
