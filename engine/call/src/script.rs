//! The built-in dialogue of a route without a plugin: play a prompt, collect digits, say
//! goodbye, hang up.

use crate::dialogue::{BotAction, BotEvent, PromptPart};
use crate::digits::DigitCollection;

/// A fixed IVR script, configured per inbound route or for a test call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// Prompt played first (a key the server's prompt cache understands: the file path).
    pub prompt: Option<String>,
    /// Digits to collect during and after the prompt; a digit stops the prompt.
    pub collect: Option<DigitCollection>,
    /// Prompt played after collection, before hanging up.
    pub goodbye: Option<String>,
}

impl Script {
    /// The script's answer to an event.
    pub(crate) fn on_event(&self, event: &BotEvent) -> Vec<BotAction> {
        match event {
            BotEvent::Answered => match (&self.prompt, &self.collect) {
                (Some(prompt), collect) => {
                    let play = BotAction::Play {
                        parts: vec![PromptPart::File(prompt.clone())],
                        barge_in: None,
                    };
                    let collect = collect.clone().map(BotAction::CollectDigits);
                    std::iter::once(play).chain(collect).collect()
                }
                (None, Some(collect)) => vec![BotAction::CollectDigits(collect.clone())],
                (None, None) => vec![self.goodbye()],
            },
            BotEvent::PlaybackFinished { .. } if self.collect.is_none() => vec![self.goodbye()],
            BotEvent::DigitsCollected { .. } => vec![self.goodbye()],
            _ => Vec::new(),
        }
    }

    fn goodbye(&self) -> BotAction {
        BotAction::HangUp {
            final_prompt: self.goodbye.iter().cloned().map(PromptPart::File).collect(),
        }
    }
}
