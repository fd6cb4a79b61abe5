//! Keyword and intent matching over recognised text.
//!
//! Text is normalised first (lower case, full-width forms to ASCII, punctuation to spaces).
//! A keyword matches as a substring, except that a keyword starting or ending with a Latin
//! letter or digit must not touch another Latin letter or digit there: `no` matches "no, thanks"
//! but not "know"; `好` matches "好的" (Chinese has no spaces, so CJK matches substrings).
//!
//! ```
//! use voxgate_plugin_sdk::matching::{IntentMatcher, Keywords};
//!
//! let intents = IntentMatcher::new()
//!     .intent("positive", ["yes", "ok", "好的", "可以"])
//!     .intent("negative", ["no", "不需要", "不用"]);
//! let hit = intents.classify("嗯，好的，你说吧").unwrap();
//! assert_eq!((hit.intent, hit.keyword), ("positive", "好的"));
//! // The longest keyword wins, so 不需要 is negative even though it contains 需要.
//! let hit = intents.classify("I know, 不需要").unwrap();
//! assert_eq!(hit.intent, "negative");
//! assert!(Keywords::new(["no"]).find("I know").is_none());
//! ```

/// Normalises text for matching: lower case, full-width ASCII forms and the ideographic space
/// folded to ASCII, punctuation (ASCII and CJK) replaced by spaces, runs of spaces collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        let ch = fold_width(ch);
        if ch.is_whitespace() || is_punctuation(ch) {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// Folds full-width ASCII variants (U+FF01..U+FF5E) and U+3000 to their ASCII forms.
fn fold_width(ch: char) -> char {
    match ch {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
        _ => ch,
    }
}

fn is_punctuation(ch: char) -> bool {
    ch.is_ascii_punctuation()
        || matches!(
            ch,
            '，' | '。'
                | '、'
                | '；'
                | '：'
                | '？'
                | '！'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '（'
                | '）'
                | '《'
                | '》'
                | '【'
                | '】'
                | '…'
                | '—'
                | '·'
                | '～'
                | '「'
                | '」'
        )
}

/// A Latin letter or digit: such characters form words that must match whole.
fn is_word_char(ch: char) -> bool {
    ch.is_alphanumeric() && !is_cjk(ch)
}

/// Han ideographs, kana and hangul: scripts written without spaces between words.
fn is_cjk(ch: char) -> bool {
    matches!(ch as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
            | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// True when the normalised `keyword` occurs in the normalised `text` (see the module docs).
fn contains_keyword(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    let first_is_word = keyword.chars().next().is_some_and(is_word_char);
    let last_is_word = keyword.chars().next_back().is_some_and(is_word_char);
    text.match_indices(keyword).any(|(start, matched)| {
        let before = text[..start].chars().next_back();
        let after = text[start + matched.len()..].chars().next();
        let glued_before = first_is_word && before.is_some_and(is_word_char);
        let glued_after = last_is_word && after.is_some_and(is_word_char);
        !glued_before && !glued_after
    })
}

/// True when `text` and `phrase` are equal after normalisation.
pub fn is_exact(text: &str, phrase: &str) -> bool {
    normalize(text) == normalize(phrase)
}

/// An any-of keyword list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    /// (as given, normalised)
    keywords: Vec<(String, String)>,
}

impl Keywords {
    /// A list of keywords (empty ones are ignored).
    pub fn new<I, S>(keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let keywords = keywords
            .into_iter()
            .map(Into::into)
            .map(|given| {
                let normalized = normalize(&given);
                (given, normalized)
            })
            .filter(|(_, normalized)| !normalized.is_empty())
            .collect();
        Self { keywords }
    }

    /// The first keyword (in list order) found in `text`, as it was given.
    pub fn find(&self, text: &str) -> Option<&str> {
        let text = normalize(text);
        self.find_normalized(&text).map(|(given, _)| given)
    }

    /// Every keyword found in `text`, in list order.
    pub fn find_all(&self, text: &str) -> Vec<&str> {
        let text = normalize(text);
        self.keywords
            .iter()
            .filter(|(_, keyword)| contains_keyword(&text, keyword))
            .map(|(given, _)| given.as_str())
            .collect()
    }

    /// The longest keyword found in already normalised text, with its length in chars.
    fn longest_normalized(&self, text: &str) -> Option<(&str, usize)> {
        self.keywords
            .iter()
            .filter(|(_, keyword)| contains_keyword(text, keyword))
            .map(|(given, keyword)| (given.as_str(), keyword.chars().count()))
            .fold(None, |best, hit| match best {
                Some((_, len)) if len >= hit.1 => best,
                _ => Some(hit),
            })
    }

    fn find_normalized(&self, text: &str) -> Option<(&str, usize)> {
        self.keywords
            .iter()
            .find(|(_, keyword)| contains_keyword(text, keyword))
            .map(|(given, keyword)| (given.as_str(), keyword.chars().count()))
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
    }
}

/// Which intent matched and the keyword that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntentMatch<'a> {
    /// The intent's name.
    pub intent: &'a str,
    /// The keyword that hit, as it was given.
    pub keyword: &'a str,
}

/// Named intents, each an any-of keyword list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntentMatcher {
    intents: Vec<(String, Keywords)>,
}

impl IntentMatcher {
    /// No intents.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an intent.
    pub fn intent<I, S>(mut self, name: impl Into<String>, keywords: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.intents.push((name.into(), Keywords::new(keywords)));
        self
    }

    /// The intent whose matching keyword is longest (ties go to the intent added first), so
    /// "不需要" beats "需要" and "not interested" beats "interested".
    pub fn classify(&self, text: &str) -> Option<IntentMatch<'_>> {
        let text = normalize(text);
        let mut best: Option<(IntentMatch<'_>, usize)> = None;
        for (name, keywords) in &self.intents {
            if let Some((keyword, len)) = keywords.longest_normalized(&text)
                && best.is_none_or(|(_, best_len)| len > best_len)
            {
                let hit = IntentMatch {
                    intent: name,
                    keyword,
                };
                best = Some((hit, len));
            }
        }
        best.map(|(hit, _)| hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_width_and_punctuation() {
        assert_eq!(normalize("  Hello，ＷＯＲＬＤ！！ ok? "), "hello world ok");
        assert_eq!(normalize("好的。。我知道了"), "好的 我知道了");
        assert_eq!(normalize("１２３"), "123");
    }

    #[test]
    fn latin_keywords_match_whole_words_only() {
        let kw = Keywords::new(["no", "not now"]);
        assert_eq!(kw.find("No, thanks"), Some("no"));
        assert_eq!(kw.find("I know nothing"), None);
        assert_eq!(kw.find("NOT   now!"), Some("not now"));
        assert_eq!(kw.find("不，no"), Some("no"));
    }

    #[test]
    fn cjk_keywords_match_substrings() {
        let kw = Keywords::new(["好", "可以"]);
        assert_eq!(kw.find("嗯嗯好的"), Some("好"));
        assert_eq!(kw.find_all("好的，可以的"), vec!["好", "可以"]);
        assert_eq!(kw.find("不行"), None);
    }

    #[test]
    fn exact_phrases_ignore_case_and_punctuation() {
        assert!(is_exact("Yes!", "yes"));
        assert!(is_exact("是的。", "是的"));
        assert!(!is_exact("yes please", "yes"));
    }

    #[test]
    fn longest_keyword_decides_the_intent() {
        let intents = IntentMatcher::new()
            .intent("positive", ["需要", "interested"])
            .intent("negative", ["不需要", "not interested"]);
        assert_eq!(
            intents.classify("我不需要").map(|m| m.intent),
            Some("negative")
        );
        assert_eq!(
            intents.classify("我需要").map(|m| m.intent),
            Some("positive")
        );
        assert_eq!(
            intents.classify("I'm not interested").map(|m| m.keyword),
            Some("not interested")
        );
        assert_eq!(intents.classify("weather"), None);
        assert!(Keywords::new(["", "  "]).is_empty());
    }
}
