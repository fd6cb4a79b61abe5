//! Dialogue plugins: the [`Dialogue`] trait, the [`Actions`] builder and the WIT event and
//! action types.
//!
//! A dialogue plugin reacts to call events with actions. Implement the callbacks you need (all
//! have empty default bodies), and export the type with [`export_dialogue!`](crate::export_dialogue):
//!
//! ```
//! use voxgate_plugin_sdk::dialogue::{Actions, Dialogue, Utterance};
//!
//! #[derive(Default)]
//! struct Greeter {
//!     turns: u32,
//! }
//!
//! impl Dialogue for Greeter {
//!     fn on_answered(&mut self, out: &mut Actions) {
//!         out.say("Hello ${name}, this is a test call.");
//!     }
//!     fn on_utterance(&mut self, _utterance: &Utterance, out: &mut Actions) {
//!         self.turns += 1;
//!         out.hang_up_with(vec![voxgate_plugin_sdk::dialogue::PromptPart::Tts("Goodbye.".into())]);
//!     }
//! }
//! // In the plugin crate: voxgate_plugin_sdk::export_dialogue!(Greeter);
//!
//! // Callbacks are plain Rust, so they can be exercised natively:
//! let mut plugin = Greeter::default();
//! let actions = plugin.on_event(voxgate_plugin_sdk::dialogue::Event::Answered);
//! assert_eq!(actions.len(), 1);
//! ```

use crate::types::{CallInfo, HttpRequest, HttpResponse, LogEntry, LogLevel, Pair};

pub use crate::bindings::dialogue::voxgate::plugin::dialogue_types::{
    Action, Collect, CollectEnd, Digits, Event, HangUp, HangupInfo, Listen, Play, PromptPart,
    Recognized, RoundNote, Timer, Transcript, TransferResult, TransferTarget, Utterance,
};

/// Keeps every endpointing parameter of the campaign.
impl Default for Listen {
    fn default() -> Self {
        Self {
            end_silence_ms: None,
            no_input_ms: None,
            min_speech_ms: None,
            max_utterance_ms: None,
        }
    }
}

/// A dialogue script. Every callback has an empty default body; override the ones you need.
///
/// The host keeps one instance per call (see [`export_dialogue!`](crate::export_dialogue)), so
/// fields hold the call's state.
pub trait Dialogue: Default {
    /// The call was created (before the answer for outbound calls).
    fn on_call_started(&mut self, call: &CallInfo, out: &mut Actions) {
        let _ = (call, out);
    }
    /// The call was answered; media flows.
    fn on_answered(&mut self, out: &mut Actions) {
        let _ = out;
    }
    /// The callee started speaking.
    fn on_speech_started(&mut self, out: &mut Actions) {
        let _ = out;
    }
    /// The callee finished an utterance.
    fn on_utterance(&mut self, utterance: &Utterance, out: &mut Actions) {
        let _ = (utterance, out);
    }
    /// Nothing was said within the no-input time.
    fn on_no_input(&mut self, out: &mut Actions) {
        let _ = out;
    }
    /// One DTMF digit arrived.
    fn on_dtmf(&mut self, digit: char, out: &mut Actions) {
        let _ = (digit, out);
    }
    /// A `collect-digits` action finished.
    fn on_digits(&mut self, digits: &Digits, out: &mut Actions) {
        let _ = (digits, out);
    }
    /// The last `play` finished; `cut` is true when it was interrupted.
    fn on_playback_finished(&mut self, cut: bool, out: &mut Actions) {
        let _ = (cut, out);
    }
    /// The answer to an `http-request` action.
    fn on_http_response(&mut self, response: &HttpResponse, out: &mut Actions) {
        let _ = (response, out);
    }
    /// A timer started with [`Actions::start_timer`] fired.
    fn on_timer(&mut self, id: &str, out: &mut Actions) {
        let _ = (id, out);
    }
    /// The result of a transfer.
    fn on_transfer_result(&mut self, result: &TransferResult, out: &mut Actions) {
        let _ = (result, out);
    }
    /// The call ended; only tag, score, level, variable and log actions still count.
    fn on_hangup(&mut self, info: &HangupInfo, out: &mut Actions) {
        let _ = (info, out);
    }

    /// Dispatches one event to the callback above and returns the actions it built.
    fn on_event(&mut self, event: Event) -> Vec<Action> {
        let mut out = Actions::new();
        match &event {
            Event::CallStarted(call) => self.on_call_started(call, &mut out),
            Event::Answered => self.on_answered(&mut out),
            Event::SpeechStarted => self.on_speech_started(&mut out),
            Event::Utterance(utterance) => self.on_utterance(utterance, &mut out),
            Event::NoInput => self.on_no_input(&mut out),
            Event::Dtmf(digit) => self.on_dtmf(*digit, &mut out),
            Event::DigitsCollected(digits) => self.on_digits(digits, &mut out),
            Event::PlaybackFinished(cut) => self.on_playback_finished(*cut, &mut out),
            Event::HttpResponse(response) => self.on_http_response(response, &mut out),
            Event::TimerFired(id) => self.on_timer(id, &mut out),
            Event::TransferResult(result) => self.on_transfer_result(result, &mut out),
            Event::Hangup(info) => self.on_hangup(info, &mut out),
        }
        out.into_vec()
    }
}

/// Builds the list of actions a callback returns; the host performs them in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Actions {
    actions: Vec<Action>,
}

impl Actions {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends any action.
    pub fn push(&mut self, action: Action) -> &mut Self {
        self.actions.push(action);
        self
    }

    /// Plays prompt parts in order (barge-in on).
    pub fn play(&mut self, parts: impl Into<Vec<PromptPart>>) -> &mut Self {
        self.play_with(parts, true)
    }

    /// Plays prompt parts with an explicit barge-in flag.
    pub fn play_with(&mut self, parts: impl Into<Vec<PromptPart>>, barge_in: bool) -> &mut Self {
        self.push(Action::Play(Play {
            parts: parts.into(),
            barge_in,
        }))
    }

    /// Speaks one TTS text (`${name}` is substituted by the host), barge-in on.
    pub fn say(&mut self, text: impl Into<String>) -> &mut Self {
        self.play(vec![PromptPart::Tts(text.into())])
    }

    /// Plays one recorded prompt by id, barge-in on.
    pub fn play_file(&mut self, id: impl Into<String>) -> &mut Self {
        self.play(vec![PromptPart::File(id.into())])
    }

    /// Stops what plays now.
    pub fn stop_playback(&mut self) -> &mut Self {
        self.push(Action::StopPlayback)
    }

    /// Starts a listening period with endpointing overrides (`Listen::default()` keeps the
    /// campaign's parameters).
    pub fn listen(&mut self, listen: Listen) -> &mut Self {
        self.push(Action::Listen(listen))
    }

    /// Collects DTMF digits; answered by a `digits-collected` event.
    pub fn collect_digits(
        &mut self,
        max_digits: u8,
        terminator: Option<char>,
        timeout_ms: u32,
    ) -> &mut Self {
        self.push(Action::CollectDigits(Collect {
            max_digits,
            terminator,
            timeout_ms,
        }))
    }

    /// Transfers the call to an operator-configured agent group.
    pub fn transfer_to_group(&mut self, group: impl Into<String>) -> &mut Self {
        self.push(Action::Transfer(TransferTarget::AgentGroup(group.into())))
    }

    /// Transfers the call to a SIP URI or number.
    pub fn transfer_to_uri(&mut self, uri: impl Into<String>) -> &mut Self {
        self.push(Action::Transfer(TransferTarget::Uri(uri.into())))
    }

    /// Hangs up at once.
    pub fn hang_up(&mut self) -> &mut Self {
        self.hang_up_with(Vec::new())
    }

    /// Plays a final prompt, then hangs up.
    pub fn hang_up_with(&mut self, final_prompt: impl Into<Vec<PromptPart>>) -> &mut Self {
        self.push(Action::HangUp(HangUp {
            final_prompt: final_prompt.into(),
        }))
    }

    /// Adds a tag to the call.
    pub fn tag(&mut self, tag: impl Into<String>) -> &mut Self {
        self.push(Action::Tag(tag.into()))
    }

    /// Adds to (or, negative, subtracts from) the call's score.
    pub fn add_score(&mut self, delta: i32) -> &mut Self {
        self.push(Action::AddScore(delta))
    }

    /// Sets the intent level (`A`-`F` or a custom label).
    pub fn set_level(&mut self, level: impl Into<String>) -> &mut Self {
        self.push(Action::SetLevel(level.into()))
    }

    /// Sets a call variable (usable as `${name}` in later prompts).
    pub fn set_variable(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.push(Action::SetVariable(Pair {
            name: name.into(),
            value: value.into(),
        }))
    }

    /// Asks the host to perform an HTTP request, answered by an `http-response` event.
    pub fn http_request(&mut self, request: HttpRequest) -> &mut Self {
        self.push(Action::HttpRequest(request))
    }

    /// Starts a timer that fires `timer-fired(id)` after `after_ms`.
    pub fn start_timer(&mut self, id: impl Into<String>, after_ms: u32) -> &mut Self {
        self.push(Action::StartTimer(Timer {
            id: id.into(),
            after_ms,
        }))
    }

    /// Cancels a timer by id.
    pub fn cancel_timer(&mut self, id: impl Into<String>) -> &mut Self {
        self.push(Action::CancelTimer(id.into()))
    }

    /// Records what answered this round, for the call record.
    pub fn note_round(
        &mut self,
        node: impl Into<String>,
        intent: Option<String>,
        keywords: Vec<String>,
    ) -> &mut Self {
        self.push(Action::NoteRound(RoundNote {
            node: node.into(),
            intent,
            keywords,
        }))
    }

    /// Returns a log line as an action (cheaper than a host call, ordered with the others).
    pub fn log(&mut self, level: LogLevel, message: impl Into<String>) -> &mut Self {
        self.push(Action::Log(LogEntry {
            level,
            message: message.into(),
        }))
    }

    /// The actions built so far.
    pub fn as_slice(&self) -> &[Action] {
        &self.actions
    }

    /// Number of actions built so far.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// True when no action was built.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The finished list.
    pub fn into_vec(self) -> Vec<Action> {
        self.actions
    }
}

impl From<Actions> for Vec<Action> {
    fn from(actions: Actions) -> Self {
        actions.into_vec()
    }
}

/// Exports a [`Dialogue`] implementation as the component's `on-event`.
///
/// One value of the type is created with `Default` on the first event and kept for the
/// component instance's life; the host makes one instance per call, so it holds the call's
/// state. Use once per plugin crate, at the crate root.
#[macro_export]
macro_rules! export_dialogue {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __VoxgateDialogueComponent;

        impl $crate::__private::dialogue::Guest for __VoxgateDialogueComponent {
            fn on_event(
                event: $crate::dialogue::Event,
            ) -> ::std::vec::Vec<$crate::dialogue::Action> {
                $crate::__private::with_instance(|plugin: &mut $plugin| {
                    $crate::dialogue::Dialogue::on_event(plugin, event)
                })
            }
        }

        $crate::__private::dialogue::__export_dialogue_world!(
            __VoxgateDialogueComponent with_types_in $crate::__private::dialogue
        );
    };
}
