//! Errors that point at `origin:line:column`, and reading TOML so that every error is found.

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, Deserializer};

/// One problem in a campaign or holiday file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecIssue {
    /// Where the text came from (usually the file path).
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl SpecIssue {
    /// An issue at byte `offset` of `text`.
    pub(crate) fn at(origin: &str, text: &str, offset: usize, message: String) -> Self {
        let mut start = offset.min(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let before = text.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            origin: origin.to_owned(),
            line,
            column,
            message,
        }
    }
}

impl fmt::Display for SpecIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.message
        )
    }
}

/// Every error found (never empty), in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct SpecErrors(pub Vec<SpecIssue>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|i| format!("error: {i}")).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// Collects the issues of one file.
pub(crate) struct Report<'t> {
    pub origin: &'t str,
    pub text: &'t str,
    issues: Vec<SpecIssue>,
}

impl<'t> Report<'t> {
    pub fn new(origin: &'t str, text: &'t str) -> Self {
        Self {
            origin,
            text,
            issues: Vec::new(),
        }
    }

    /// An error at `span` (its start).
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.issues.push(SpecIssue::at(
            self.origin,
            self.text,
            span.start,
            message.into(),
        ));
    }

    fn toml_error(&mut self, e: &toml::de::Error) {
        let message = e.message().trim().replace('\n', " ");
        self.error(e.span().unwrap_or(0..0), message);
    }

    /// `value` when no error was reported, else every issue sorted by place.
    pub fn finish<T>(mut self, value: T) -> Result<T, SpecErrors> {
        if self.issues.is_empty() {
            return Ok(value);
        }
        self.issues.sort_by_key(|i| (i.line, i.column));
        self.issues.dedup();
        Err(SpecErrors(self.issues))
    }

    pub fn into_errors(self) -> SpecErrors {
        self.finish(()).err().unwrap_or(SpecErrors(Vec::new()))
    }
}

/// The parsed document, for finding where keys are written.
pub(crate) struct Document<'t> {
    root: Spanned<DeTable<'t>>,
}

impl Document<'_> {
    /// Where `key` of table `table` (a top-level key) is written, else where the table is.
    pub fn key_span(&self, table: &str, key: &str) -> Range<usize> {
        let Some(section) = find(self.root.get_ref(), table) else {
            return 0..0;
        };
        section
            .1
            .get_ref()
            .as_table()
            .and_then(|t| find(t, key))
            .map_or(section.0.span(), |(k, _)| k.span())
    }
}

type Entry<'a, 't> = (
    &'a Spanned<toml::de::DeString<'t>>,
    &'a Spanned<toml::de::DeValue<'t>>,
);

fn find<'a, 't>(table: &'a DeTable<'t>, key: &str) -> Option<Entry<'a, 't>> {
    table.iter().find(|(k, _)| k.get_ref().as_ref() == key)
}

/// Read `report.text` as TOML into `T` (a struct whose top-level fields are all optional).
///
/// Syntax errors are all reported. Past them, each top-level key is read on its own, so a
/// wrong type or an unknown key in one section does not hide the errors of the others.
pub(crate) fn read_toml<'t, T: DeserializeOwned>(
    report: &mut Report<'t>,
) -> Option<(T, Document<'t>)> {
    let (root, syntax) = DeTable::parse_recoverable(report.text);
    if !syntax.is_empty() {
        for e in &syntax {
            report.toml_error(e);
        }
        return None;
    }
    let mut shaped = true;
    for (key, value) in root.get_ref().iter() {
        let mut one = DeTable::new();
        one.insert(key.clone(), value.clone());
        if let Err(e) = T::deserialize(Deserializer::from(Spanned::new(root.span(), one))) {
            report.toml_error(&e);
            shaped = false;
        }
    }
    if !shaped {
        return None;
    }
    match T::deserialize(Deserializer::from(root.clone())) {
        Ok(value) => Some((value, Document { root })),
        Err(e) => {
            report.toml_error(&e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "a = 1\n名字 = \"x\"\n";
        let issue = SpecIssue::at("f.toml", text, text.find('=').unwrap(), "m".into());
        assert_eq!((issue.line, issue.column), (1, 3));
        let issue = SpecIssue::at("f.toml", text, text.rfind('=').unwrap(), "bad".into());
        assert_eq!(issue.to_string(), "f.toml:2:4: bad");
        assert_eq!(SpecIssue::at("f", text, 999, "end".into()).line, 3);
        let inside_char = text.find('名').unwrap() + 1;
        assert_eq!(SpecIssue::at("f", text, inside_char, "x".into()).column, 1);
    }

    #[test]
    fn errors_print_one_per_line() {
        let errors = SpecErrors(vec![
            SpecIssue::at("a.toml", "x", 0, "first".into()),
            SpecIssue::at("a.toml", "x", 1, "second".into()),
        ]);
        assert_eq!(
            errors.to_string(),
            "error: a.toml:1:1: first\nerror: a.toml:1:2: second"
        );
    }
}
