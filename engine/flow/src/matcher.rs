//! Matching what the callee said or pressed against a branch or an intent.
//!
//! Text is normalised first: lower case, punctuation (ASCII and CJK) turned into spaces,
//! runs of spaces collapsed. Then, in this order:
//! - a **keyword** matches anywhere in the text; when a keyword begins or ends with an ASCII
//!   letter or digit, the text next to it must not be one (so `no` does not match `know`),
//!   while CJK keywords match anywhere (Chinese has no spaces between words);
//! - a **phrase** matches when the whole normalised utterance equals it;
//! - a **regex** (regex-lite syntax) is searched in the original text;
//! - **digits** match when the digits pressed or collected equal them.

use regex_lite::Regex;

/// The matchers of one branch or intent.
#[derive(Debug, Clone, Default)]
pub struct Matchers {
    /// Normalised keywords.
    pub keywords: Vec<String>,
    /// Normalised exact phrases.
    pub phrases: Vec<String>,
    /// Compiled regular expressions.
    pub regex: Vec<Regex>,
    /// DTMF digit strings.
    pub digits: Vec<String>,
}

impl Matchers {
    /// True when nothing could ever match.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
            && self.phrases.is_empty()
            && self.regex.is_empty()
            && self.digits.is_empty()
    }

    /// The keyword, phrase or regex (as written) that `text` matches, if any.
    pub fn match_text(&self, text: &str) -> Option<String> {
        let normalised = normalise(text);
        if let Some(k) = self
            .keywords
            .iter()
            .find(|k| contains_keyword(&normalised, k))
        {
            return Some(k.clone());
        }
        if let Some(p) = self.phrases.iter().find(|p| **p == normalised) {
            return Some(p.clone());
        }
        self.regex
            .iter()
            .find(|r| r.is_match(text))
            .map(|r| r.as_str().to_owned())
    }

    /// The digit string that `digits` equals, if any.
    pub fn match_digits(&self, digits: &str) -> Option<String> {
        self.digits.iter().find(|d| *d == digits).cloned()
    }
}

/// Lower case, punctuation to spaces, single spaces, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '\''
}

/// Keyword search with ASCII word boundaries (see the module docs).
fn contains_keyword(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    let starts_word = keyword.chars().next().is_some_and(is_word_char);
    let ends_word = keyword.chars().next_back().is_some_and(is_word_char);
    text.match_indices(keyword).any(|(at, _)| {
        let before_ok = !starts_word || !text[..at].chars().next_back().is_some_and(is_word_char);
        let after_ok = !ends_word
            || !text[at + keyword.len()..]
                .chars()
                .next()
                .is_some_and(is_word_char);
        before_ok && after_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords(list: &[&str]) -> Matchers {
        Matchers {
            keywords: list.iter().map(|k| normalise(k)).collect(),
            ..Matchers::default()
        }
    }

    #[test]
    fn normalising_drops_case_and_punctuation() {
        assert_eq!(normalise("  Yes, SURE!! "), "yes sure");
        assert_eq!(normalise("好的，没问题。"), "好的 没问题");
        assert_eq!(normalise("I don't know?"), "i don't know");
    }

    #[test]
    fn ascii_keywords_respect_word_boundaries() {
        let m = keywords(&["no", "not interested"]);
        assert_eq!(m.match_text("No."), Some("no".into()));
        assert_eq!(m.match_text("I know"), None);
        assert_eq!(m.match_text("nobody"), None);
        assert_eq!(
            m.match_text("I'm NOT interested, thanks"),
            Some("not interested".into())
        );
    }

    #[test]
    fn cjk_keywords_match_inside_text() {
        let m = keywords(&["多少钱", "不需要"]);
        assert_eq!(m.match_text("这个保险多少钱啊"), Some("多少钱".into()));
        assert_eq!(m.match_text("我不需要，谢谢"), Some("不需要".into()));
        assert_eq!(m.match_text("需要"), None);
    }

    #[test]
    fn phrases_must_be_the_whole_utterance() {
        let m = Matchers {
            phrases: vec![normalise("That's me")],
            ..Matchers::default()
        };
        assert_eq!(m.match_text("that's me!"), Some("that's me".into()));
        assert_eq!(m.match_text("that's me I think"), None);
    }

    #[test]
    fn regex_and_digits() {
        let m = Matchers {
            regex: vec![Regex::new(r"(?i)^y(es|eah|ep)\b").unwrap()],
            digits: vec!["1".into(), "12".into()],
            ..Matchers::default()
        };
        assert_eq!(
            m.match_text("Yeah sure"),
            Some(r"(?i)^y(es|eah|ep)\b".into())
        );
        assert_eq!(m.match_text("maybe yes"), None);
        assert_eq!(m.match_digits("12"), Some("12".into()));
        assert_eq!(m.match_digits("2"), None);
        assert!(!m.is_empty());
        assert!(Matchers::default().is_empty());
    }
}
