//! Prompt building and `${name}` variable substitution.
//!
//! ```
//! use voxgate_plugin_sdk::prompt::{Prompt, substitute};
//! use voxgate_plugin_sdk::dialogue::{Actions, PromptPart};
//! use voxgate_plugin_sdk::types::Pair;
//!
//! let prompt = Prompt::new().file("jingle").text("Hi ${name}");
//! assert_eq!(prompt.parts()[0], PromptPart::File("jingle".into()));
//!
//! let mut out = Actions::new();
//! out.play(prompt);
//!
//! let vars = [Pair::new("name", "Ms Li")];
//! assert_eq!(substitute("Hi ${name}, ${unknown}", &vars), "Hi Ms Li, ${unknown}");
//! ```

use crate::dialogue::PromptPart;
use crate::types::{Pair, find};

/// A prompt: recorded files and TTS texts played in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prompt {
    parts: Vec<PromptPart>,
}

impl Prompt {
    /// An empty prompt.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a recorded prompt by id.
    pub fn file(mut self, id: impl Into<String>) -> Self {
        self.parts.push(PromptPart::File(id.into()));
        self
    }

    /// Appends a TTS text; the host substitutes `${name}` variables.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.parts.push(PromptPart::Tts(text.into()));
        self
    }

    /// The parts so far.
    pub fn parts(&self) -> &[PromptPart] {
        &self.parts
    }

    /// True when the prompt has no part.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parts, for [`Actions::play`](crate::dialogue::Actions::play) and friends.
    pub fn into_parts(self) -> Vec<PromptPart> {
        self.parts
    }
}

impl From<Prompt> for Vec<PromptPart> {
    fn from(prompt: Prompt) -> Self {
        prompt.parts
    }
}

/// Replaces every `${name}` in `text` with the value of the variable `name`. Unknown variables
/// and unterminated `${` are left as they are. (The host substitutes TTS text itself; use this
/// when a plugin builds text for something else, such as an HTTP body.)
pub fn substitute(text: &str, vars: &[Pair]) -> String {
    substitute_with(text, |name| find(vars, name).map(str::to_owned))
}

/// Like [`substitute`], with a lookup function.
pub fn substitute_with(text: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_known_variables_and_keeps_the_rest() {
        let vars = [Pair::new("name", "王先生"), Pair::new("amount", "300")];
        assert_eq!(
            substitute("${name}您好，欠款${amount}元", &vars),
            "王先生您好，欠款300元"
        );
        assert_eq!(substitute("${missing}!", &vars), "${missing}!");
        assert_eq!(substitute("open ${name", &vars), "open ${name");
        assert_eq!(substitute("$name {name}", &vars), "$name {name}");
        assert_eq!(substitute("", &vars), "");
    }

    #[test]
    fn builds_parts_in_order() {
        let parts: Vec<PromptPart> = Prompt::new().text("a").file("b").into();
        assert_eq!(
            parts,
            vec![PromptPart::Tts("a".into()), PromptPart::File("b".into())]
        );
    }
}
