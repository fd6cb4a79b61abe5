//! Errors and warnings that point at `origin:line:column`.

use std::fmt;
use std::ops::Range;

/// One problem in a flow file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowIssue {
    /// Where the text came from (usually the file path).
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl FlowIssue {
    /// An issue at byte `span.start` of `text`.
    pub(crate) fn at(origin: &str, text: &str, span: Range<usize>, message: String) -> Self {
        let mut start = span.start.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let before = text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        FlowIssue {
            origin: origin.to_owned(),
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for FlowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

/// Every error found in a flow file (never empty), in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct FlowErrors(pub Vec<FlowIssue>);

impl fmt::Display for FlowErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|i| format!("error: {i}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "a = 1\n名字 = \"x\"\n";
        let at = text.find('=').unwrap();
        let issue = FlowIssue::at("f.toml", text, at..at + 1, "m".into());
        assert_eq!((issue.line, issue.column), (1, 3));
        let at = text.rfind('=').unwrap();
        let issue = FlowIssue::at("f.toml", text, at..at + 1, "bad".into());
        assert_eq!(issue.to_string(), "f.toml:2:4: bad");
        let past_end = FlowIssue::at("f", text, 999..999, "end".into());
        assert_eq!(past_end.line, 3);
    }
}
