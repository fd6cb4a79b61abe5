//! Control markers in the model's reply: `[HANGUP]`, `[TRANSFER]` and `[LEVEL:X]`.

/// What the model's reply asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// The text to speak, markers removed.
    pub speech: String,
    /// `[HANGUP]`: say the speech, then hang up.
    pub hang_up: bool,
    /// `[TRANSFER]`: say the speech, then transfer to the agent group.
    pub transfer: bool,
    /// `[LEVEL:X]`: the intent level.
    pub level: Option<String>,
}

/// Splits markers (case-insensitive, anywhere in the text) from the speech.
pub fn parse_reply(text: &str) -> Reply {
    let mut reply = Reply::default();
    let mut speech = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        speech.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else {
            speech.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let marker = after[..close].trim();
        let upper = marker.to_ascii_uppercase();
        if upper == "HANGUP" || upper == "HANG UP" {
            reply.hang_up = true;
        } else if upper == "TRANSFER" {
            reply.transfer = true;
        } else if let Some(level) = upper.strip_prefix("LEVEL:") {
            reply.level = Some(level.trim().to_string());
        } else {
            speech.push_str(&rest[open..open + close + 2]);
        }
        rest = &after[close + 1..];
    }
    speech.push_str(rest);
    reply.speech = speech.split_whitespace().collect::<Vec<_>>().join(" ");
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_has_no_markers() {
        let reply = parse_reply("We open at  9 am.");
        assert_eq!(reply.speech, "We open at 9 am.");
        assert!(!reply.hang_up && !reply.transfer && reply.level.is_none());
    }

    #[test]
    fn markers_are_removed_and_read() {
        let reply = parse_reply("Thanks, goodbye! [HANGUP]\n[LEVEL:a]");
        assert_eq!(reply.speech, "Thanks, goodbye!");
        assert!(reply.hang_up);
        assert_eq!(reply.level.as_deref(), Some("A"));
        let reply = parse_reply("我帮您转人工。[transfer]");
        assert_eq!(reply.speech, "我帮您转人工。");
        assert!(reply.transfer);
    }

    #[test]
    fn other_brackets_stay() {
        assert_eq!(parse_reply("Option [1] or [2").speech, "Option [1] or [2");
    }
}
