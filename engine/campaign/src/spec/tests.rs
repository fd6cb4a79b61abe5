//! Tests of campaign and holiday files: the shipped examples, error reporting, every rule.

mod errors;
mod examples;
mod rules;
mod sections;

use std::path::{Path, PathBuf};

use super::{Campaign, parse_campaign};

/// The folder holding `examples/` (the workspace root).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A valid campaign with `top` added to the top-level keys and `tables` after the tables.
fn text(top: &str, tables: &str) -> String {
    format!(
        "name = \"t\"\ntrunk = \"carrier\"\ntimezone = \"Asia/Shanghai\"\n{top}\n[windows]\nmon-fri = [\"09:00-18:00\"]\n[dialogue]\nplugin = \"flow.wasm\"\n{tables}"
    )
}

fn parse(text: &str) -> Campaign {
    match parse_campaign(text, "c.toml", Path::new("/base")) {
        Ok(c) => c,
        Err(e) => panic!("{e}\n--- in ---\n{text}"),
    }
}

/// Every error as `c.toml:LINE:COL: message`.
fn errors(text: &str) -> Vec<String> {
    match parse_campaign(text, "c.toml", Path::new("/base")) {
        Ok(_) => panic!("no error in\n{text}"),
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    }
}

/// The only error, which must contain `expected`.
fn error(text: &str, expected: &str) -> String {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains(expected),
        "{:?} lacks {expected:?}",
        errors[0]
    );
    errors[0].clone()
}
